import Testing
@testable import PithGraph
