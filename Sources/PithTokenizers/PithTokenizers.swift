// PithTokenizers
