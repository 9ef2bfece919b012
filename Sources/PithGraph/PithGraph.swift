// PithGraph
