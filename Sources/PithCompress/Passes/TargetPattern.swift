import Foundation

/// One entry of a stage's `targets` or `ignore` list, matched against a layer's paths (its operator name and its
/// weight's variable name): `re:` and a regular expression that must match the whole path, a glob (`*`, `?`, `[…]`),
/// or an exact name.
public struct TargetPattern: Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable { case exact, glob, regex }
    public let kind: Kind
    public let pattern: String
    public let description: String
    private let regex: RegexBox?

    public init(_ text: String) throws {
        description = text
        if text.hasPrefix("re:") {
            kind = .regex
            pattern = String(text.dropFirst(3))
            do {
                regex = RegexBox(try Regex(pattern))
            } catch {
                throw RecipeError("'\(text)' is not a valid regular expression (\(error))")
            }
        } else {
            kind = text.contains(where: { "*?[".contains($0) }) ? .glob : .exact
            pattern = text
            regex = nil
        }
    }

    /// Whether the pattern matches this whole path.
    public func matches(_ path: String) -> Bool {
        switch kind {
        case .exact: path == pattern
        case .glob: fnmatch(pattern, path, 0) == 0
        case .regex: (try? regex?.regex.wholeMatch(in: path)) != nil
        }
    }

    /// Whether it matches any of a layer's paths.
    public func matches(any paths: [String]) -> Bool { paths.contains(where: matches) }

    public static func == (a: TargetPattern, b: TargetPattern) -> Bool { a.description == b.description }
}

/// `Regex` is not `Sendable`; a compiled pattern is only ever read.
private final class RegexBox: @unchecked Sendable {
    let regex: Regex<AnyRegexOutput>
    init(_ regex: Regex<AnyRegexOutput>) { self.regex = regex }
}

extension Array where Element == TargetPattern {
    /// Parses each entry; an empty list stays empty.
    public init(patterns: [String]) throws { self = try patterns.map(TargetPattern.init) }

    func matches(any paths: [String]) -> Bool { contains { $0.matches(any: paths) } }
}
