// PithFormats
