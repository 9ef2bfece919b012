import Testing
@testable import PithFormats
