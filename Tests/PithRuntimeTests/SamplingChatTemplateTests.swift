import Testing
@testable import PithRuntime

@Suite("ChatTemplate")
struct SamplingChatTemplateTests {
    /// SmolLM2's `chat_template`, verbatim (JSON-decoded, so its newlines are real ones).
    static let smolLM2 = """
        {% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system
        You are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>
        ' }}{% endif %}{{'<|im_start|>' + message['role'] + '
        ' + message['content'] + '<|im_end|>' + '
        '}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant
        ' }}{% endif %}
        """

    @Test func smolLM2InsertsItsDefaultSystemPrompt() throws {
        let prompt = try ChatTemplate.render(template: Self.smolLM2, system: nil, user: "What is 2+2?")
        #expect(prompt == """
            <|im_start|>system
            You are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>
            <|im_start|>user
            What is 2+2?<|im_end|>
            <|im_start|>assistant

            """)
    }

    @Test func anExplicitSystemPromptReplacesTheDefault() throws {
        let prompt = try ChatTemplate.render(template: Self.smolLM2, system: "Be brief.", user: "Hi")
        #expect(prompt == "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n")
    }

    @Test func chatMLWithoutADefaultHasNoSystemBlock() throws {
        let plain = #"{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"#
        #expect(ChatTemplate.defaultSystemPrompt(inChatML: plain) == nil)
        #expect(try ChatTemplate.render(template: plain, system: nil, user: "Hi")
                == "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n")
    }

    @Test func aDefaultWrittenWithEscapesIsFoundPastExpressions() {
        // Qwen2.5's shape: an expression system block first, then the literal default, with `\n` escapes.
        let qwenLike = #"{%- if messages[0]['role'] == 'system' %}{{- '<|im_start|>system\n' + messages[0]['content'] + '<|im_end|>\n' }}{%- else %}{{- '<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n' }}{%- endif %}"#
        #expect(ChatTemplate.defaultSystemPrompt(inChatML: qwenLike)
                == "You are Qwen, created by Alibaba Cloud. You are a helpful assistant.")
    }

    @Test func unknownOrMissingTemplatesAreClearErrors() {
        let llama3 = "{{ '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n' }}"
        #expect(throws: ChatTemplateError.unsupported) { try ChatTemplate.render(template: llama3, system: nil, user: "Hi") }
        #expect(throws: ChatTemplateError.missing) { try ChatTemplate.render(template: nil, system: nil, user: "Hi") }
        #expect(!ChatTemplateError.unsupported.description.contains("\n"))
    }
}
