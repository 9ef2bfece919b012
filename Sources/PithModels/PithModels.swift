// PithModels
