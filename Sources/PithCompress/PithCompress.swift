// PithCompress: compression methods as passes over a model's graph and weights (ARCHITECTURE.md, layer 7).
//
// Quantize/Algorithms — the numerical methods (RTN, GPTQ, AWQ, SmoothQuant, NF4/FP4, FP8) on one weight matrix.
// Calibration/        — capturing the inputs of every linear layer, block by block.
// Passes/, Recipes/   — the Pass protocol, the registry, YAML recipes and the per-layer report.
