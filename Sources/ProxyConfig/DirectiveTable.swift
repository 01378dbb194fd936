/// The directives one kind of section accepts, each with the code that reads its
/// arguments into the section being built.
struct DirectiveTable<Section> {
    /// Reads the directive's arguments into the section. Leftover arguments are rejected by the caller.
    typealias Handler = (inout Section, inout ArgumentReader) throws(ConfigError) -> Void

    /// The section keyword, for messages.
    let sectionKind: String
    let handlers: [String: Handler]
    /// Directives that may appear more than once in a section; any other is an error the second time.
    let repeatable: Set<String>
}
