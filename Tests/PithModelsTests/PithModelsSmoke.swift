import Testing
@testable import PithModels
