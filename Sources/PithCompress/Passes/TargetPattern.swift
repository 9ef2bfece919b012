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
            regex = try RegexBox(pattern: pattern, text: text)
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
        case .regex: regex?.matches(path) ?? false
        }
    }

    /// Whether it matches any of a layer's paths.
    public func matches(any paths: [String]) -> Bool { paths.contains(where: matches) }

    public static func == (a: TargetPattern, b: TargetPattern) -> Bool { a.description == b.description }
}

/// A `re:` pattern compiled by the system's POSIX extended-regex engine, which simulates the pattern's automaton
/// instead of backtracking (and has no back-references), so no pattern can make matching hang the way a backtracking
/// engine does on `(a+)+$`. Read-only once compiled; `regexec` may be called from several threads.
private final class RegexBox: @unchecked Sendable {
    /// Longest pattern accepted, and largest `{n}` repeat count: both bound what compiling may build.
    static let maxPatternBytes = 256
    static let maxRepeat = 64

    private var compiled = regex_t()

    init(pattern: String, text: String) throws {
        func refuse(_ why: String) -> RecipeError { RecipeError("'\(text)' is not a valid regular expression (\(why))") }
        guard pattern.utf8.count <= Self.maxPatternBytes else { throw refuse("longer than \(Self.maxPatternBytes) bytes") }
        // POSIX extended syntax: say so rather than silently match `\d` as a letter d.
        if let escape = pattern.range(of: #"\\[A-Za-z0-9]"#, options: .regularExpression) {
            throw refuse("\(pattern[escape]) is not POSIX extended syntax: use classes such as [0-9] or [[:alnum:]]")
        }
        if pattern.contains("(?") { throw refuse("(? groups are not POSIX extended syntax") }
        // Repeat counts ({n}, {n,m}) expand when compiled: bound them.
        for brace in pattern.split(separator: "{").dropFirst() {
            let counts = brace.prefix { $0 != "}" }.split(separator: ",")
            if counts.contains(where: { Int($0).map { $0 > Self.maxRepeat } ?? false }) {
                throw refuse("a repeat count above \(Self.maxRepeat)")
            }
        }
        let status = regcomp(&compiled, "^(" + pattern + ")$", REG_EXTENDED | REG_NOSUB)
        guard status == 0 else {
            var message = [CChar](repeating: 0, count: 256)
            regerror(status, &compiled, &message, message.count)
            regfree(&compiled)
            throw refuse(String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
    }

    func matches(_ path: String) -> Bool { regexec(&compiled, path, 0, nil, 0) == 0 }

    deinit { regfree(&compiled) }
}

extension Array where Element == TargetPattern {
    /// Parses each entry; an empty list stays empty.
    public init(patterns: [String]) throws { self = try patterns.map(TargetPattern.init) }

    func matches(any paths: [String]) -> Bool { contains { $0.matches(any: paths) } }
}
