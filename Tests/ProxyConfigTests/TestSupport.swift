@testable import ProxyConfig
import Testing

/// A listener and a pool that make a config valid; tests add the parts they check.
let validListenerAndPool = """
listener web
    bind 127.0.0.1:8080
    pool app
pool app
    server a 127.0.0.1:9001

"""

/// The config `text` parses to; records a test failure (with the errors) if it does not parse.
func parsedConfig(_ text: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) -> ProxyConfig? {
    switch ConfigLoader.parse(text, path: "proxy.conf") {
    case .success(let config):
        return config
    case .failure(let errors):
        Issue.record("unexpected errors:\n\(errors)", sourceLocation: sourceLocation)
        return nil
    }
}

/// Every error `text` produces, as `proxy.conf:LINE:COLUMN: message`; empty if it parses.
func errorLines(_ text: String) -> [String] {
    switch ConfigLoader.parse(text, path: "proxy.conf") {
    case .success: []
    case .failure(let errors): errors.errors.map(\.description)
    }
}

/// The model before the feature gate and cross-section checks, for directives the gate rejects.
func parsedIgnoringGate(_ text: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) -> ParsedConfig {
    var lexer = Lexer(path: "proxy.conf")
    let parsed = Parser.parse(lexer.lex(text), path: "proxy.conf")
    let otherErrors = (lexer.errors + parsed.errors).filter { !$0.message.hasSuffix("not supported yet") }
    #expect(otherErrors.isEmpty, "unexpected errors: \(otherErrors)", sourceLocation: sourceLocation)
    return parsed.config
}

enum SectionKind: Sendable {
    case global, listener, pool
}

/// The errors of one directive line placed on line 2, in a `section` of an otherwise valid file.
func errorLines(of directive: String, in section: SectionKind) -> [String] {
    switch section {
    case .global:
        errorLines("global\n\(directive)\n" + validListenerAndPool)
    case .listener:
        errorLines("listener web\n\(directive)\n    bind 127.0.0.1:8080\n    pool app\npool app\n    server a 127.0.0.1:9001\n")
    case .pool:
        errorLines("pool app\n\(directive)\n    server a 127.0.0.1:9001\nlistener web\n    bind 127.0.0.1:8080\n    pool app\n")
    }
}
