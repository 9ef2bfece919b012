import Foundation

// MARK: - Chat templates

/// Renders a single-turn chat prompt from a model's chat template (the Jinja text in `tokenizer_config.json`).
///
/// Pith does not run Jinja: it recognises the template family by its markers and renders that
/// family's fixed layout. Only ChatML (`<|im_start|>` … `<|im_end|>`: SmolLM2, Qwen2, …) is known.
public enum ChatTemplate {
    /// Renders `system` (or the template's default system prompt) and `user` as a prompt ending where the assistant's reply begins.
    ///
    /// For ChatML: `<|im_start|>system\n{system}<|im_end|>\n<|im_start|>user\n{user}<|im_end|>\n<|im_start|>assistant\n`;
    /// the system block is left out when `system` is `nil` and the template has no default.
    public static func render(template: String?, system: String?, user: String) throws -> String {
        guard let template else { throw ChatTemplateError.missing }
        guard template.contains(imStart), template.contains(imEnd) else { throw ChatTemplateError.unsupported }
        var prompt = ""
        if let system = system ?? defaultSystemPrompt(inChatML: template) {
            prompt += "\(imStart)system\n\(system)\(imEnd)\n"
        }
        prompt += "\(imStart)user\n\(user)\(imEnd)\n\(imStart)assistant\n"
        return prompt
    }

    /// The system prompt a ChatML template inserts when the conversation has none, if it has one.
    ///
    /// Such a default is one string literal `'<|im_start|>system\n…<|im_end|>'` (SmolLM2, and
    /// Qwen2.5's no-tools branch). Other `<|im_start|>system` occurrences are skipped: a candidate
    /// holding a quote or a Jinja delimiter is an expression such as `'…\n' + message['content']`.
    /// The newline may be a real one or the escape `\n`, since templates are written both ways.
    static func defaultSystemPrompt(inChatML template: String) -> String? {
        var rest = template[...]
        while let open = rest.range(of: "\(imStart)system") {
            rest = rest[open.upperBound...]
            var body = rest
            if body.hasPrefix("\n") { body = body.dropFirst() } else if body.hasPrefix("\\n") { body = body.dropFirst(2) } else { continue }
            guard let close = body.range(of: imEnd) else { return nil }
            let literal = body[..<close.lowerBound]
            if literal.contains(where: { $0 == "'" || $0 == "\"" }) || literal.contains("{{") || literal.contains("{%") { continue }
            return unescape(literal)
        }
        return nil
    }

    /// Undoes the escapes a Jinja string literal may hold (`\n`, `\t`, `\\`, `\'`, `\"`).
    private static func unescape(_ literal: Substring) -> String {
        var out = ""
        var escaping = false
        for c in literal {
            if escaping {
                switch c {
                case "n": out.append("\n")
                case "t": out.append("\t")
                default: out.append(c)
                }
                escaping = false
            } else if c == "\\" {
                escaping = true
            } else {
                out.append(c)
            }
        }
        return out
    }

    private static let imStart = "<|im_start|>"
    private static let imEnd = "<|im_end|>"
}

/// Why a chat prompt could not be rendered; its description is one line.
public enum ChatTemplateError: Error, Equatable, CustomStringConvertible {
    /// The model ships no chat template.
    case missing
    /// The template is not of a family Pith recognises.
    case unsupported

    public var description: String {
        switch self {
        case .missing: "the model has no chat template; pass the prompt without one"
        case .unsupported: "unsupported chat template: only ChatML (<|im_start|> … <|im_end|>) is recognised"
        }
    }
}
