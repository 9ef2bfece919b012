import Testing
@testable import PithRuntime
