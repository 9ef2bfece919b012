// PithRuntime
