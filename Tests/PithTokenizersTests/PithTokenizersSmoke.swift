import Testing
@testable import PithTokenizers
