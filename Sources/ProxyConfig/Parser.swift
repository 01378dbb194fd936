/// Turns lexed lines into a `ParsedConfig`: a line at column 1 opens a section,
/// an indented line is a directive read by the current section's `DirectiveTable`.
/// A bad line is reported and skipped, and parsing goes on, so that one pass
/// reports every error.
struct Parser {
    private enum Section {
        /// Before the first section header.
        case none
        /// After a header that is not a section at all: its directives are ignored.
        case skipped
        /// `keep` is false when the header itself is in error (a second `global`, a
        /// listener without a name): its directives are still checked, then dropped.
        case global(ParsedConfig.Global, keep: Bool)
        case listener(ParsedConfig.Listener, keep: Bool)
        case pool(ParsedConfig.Pool, keep: Bool)
    }

    /// Which sections accept each directive name, for hints on misplaced directives.
    private static let sectionKindsByDirective: [String: [String]] = {
        let tables: [(kind: String, directives: [String])] = [
            (GlobalDirectives.table.sectionKind, Array(GlobalDirectives.table.handlers.keys)),
            (ListenerDirectives.table.sectionKind, Array(ListenerDirectives.table.handlers.keys)),
            (PoolDirectives.table.sectionKind, Array(PoolDirectives.table.handlers.keys)),
        ]
        var kinds: [String: [String]] = [:]
        for (kind, directives) in tables {
            for directive in directives {
                kinds[directive, default: []].append(kind)
            }
        }
        return kinds
    }()

    private let path: String
    private var errors: [ConfigError] = []
    private var config = ParsedConfig()
    private var section = Section.none
    /// The non-repeatable directives seen in the current section, to reject a second one.
    private var directivesInSection: [String: SourceLocation] = [:]
    /// Every known directive the current section has a line of, valid or not, so
    /// that a section whose only `bind` (say) is invalid is not also reported
    /// as having none.
    private var directivesGiven: Set<String> = []

    private init(path: String) {
        self.path = path
    }

    static func parse(_ lines: [ConfigLine], path: String) -> (config: ParsedConfig, errors: [ConfigError]) {
        var parser = Parser(path: path)
        for line in lines {
            if line.isIndented {
                parser.directive(line)
            } else {
                parser.header(line)
            }
        }
        parser.closeSection()
        return (parser.config, parser.errors)
    }

    // MARK: Sections

    /// A header opens its section as dropped (its directives are checked, then
    /// discarded) and keeps it once the whole line has been read without error.
    private mutating func header(_ line: ConfigLine) {
        closeSection()
        openDroppedSection(line.tokens.first)
        guard !line.isMalformed else { return }
        var arguments = ArgumentReader(path: path, tokens: line.tokens)
        let keyword = arguments.directive
        do throws(ConfigError) {
            switch keyword.text {
            case "global":
                // An earlier `global` section was committed by closeSection().
                if let first = config.global.location {
                    throw arguments.error("section given twice (first at line \(first.line))")
                }
                try arguments.finish()
                section = .global(ParsedConfig.Global(location: keyword.location), keep: true)
            // A named listener or pool is kept even if more follows its name
            // (reported by `finish`), so that the checks across lines still
            // see it: its binds, its servers, the pool a listener names.
            // Its location is its name's, where duplicate names are reported.
            case "listener":
                let name = try arguments.name("listener name")
                let location = arguments.lastArgumentLocation
                section = .listener(ParsedConfig.Listener(config: ListenerConfig(name: name, location: location)), keep: true)
                try arguments.finish()
            case "pool":
                let name = try arguments.name("pool name")
                let location = arguments.lastArgumentLocation
                section = .pool(ParsedConfig.Pool(config: PoolConfig(name: name, location: location)), keep: true)
                try arguments.finish()
            default:
                if Self.sectionKindsByDirective[keyword.text] != nil {
                    throw ConfigError(path: path, at: keyword.location, "'\(keyword.text)' must be indented: only section headers (global, listener NAME, pool NAME) are not indented")
                }
                throw ConfigError(path: path, at: keyword.location, "unknown section '\(keyword.text)' (expected global, listener NAME or pool NAME)")
            }
        } catch {
            errors.append(error)
        }
    }

    /// The section a header opens before it is known to be valid, also when
    /// the lexer could not read the line whole (a bad escape in its name, say):
    /// one whose directives are checked, then dropped; none (`.skipped`) for
    /// an unknown keyword.
    private mutating func openDroppedSection(_ keyword: Token?) {
        section = .skipped
        guard let keyword else { return }
        switch keyword.text {
        case "global":
            section = .global(ParsedConfig.Global(location: keyword.location), keep: false)
        case "listener":
            config.hasListenerHeader = true
            section = .listener(ParsedConfig.Listener(config: ListenerConfig(name: "", location: keyword.location)), keep: false)
        case "pool":
            section = .pool(ParsedConfig.Pool(config: PoolConfig(name: "", location: keyword.location)), keep: false)
        default:
            break
        }
    }

    private mutating func closeSection() {
        switch section {
        case .global(let global, keep: true):
            config.global = global
        case .listener(var listener, keep: true):
            listener.directivesGiven = directivesGiven
            config.listeners.append(listener)
        case .pool(var pool, keep: true):
            pool.directivesGiven = directivesGiven
            config.pools.append(pool)
        default:
            break
        }
        section = .none
        directivesInSection = [:]
        directivesGiven = []
    }

    // MARK: Directives

    private mutating func directive(_ line: ConfigLine) {
        guard !line.isMalformed else { return }
        switch section {
        case .none:
            let name = line.tokens[0]
            errors.append(ConfigError(path: path, at: name.location, "'\(name.text)' is outside any section: directives follow a global, listener NAME or pool NAME header"))
        case .skipped:
            break
        // Each case takes the section out of `section` before changing it:
        // while the enum still held it, every append (a server line) copied
        // the arrays, and a pool of N servers took O(N²) (20,000: 2 s).
        case .global(var global, let keep):
            section = .none
            apply(line, to: &global, using: GlobalDirectives.table)
            section = .global(global, keep: keep)
        case .listener(var listener, let keep):
            section = .none
            apply(line, to: &listener, using: ListenerDirectives.table)
            section = .listener(listener, keep: keep)
        case .pool(var pool, let keep):
            section = .none
            apply(line, to: &pool, using: PoolDirectives.table)
            section = .pool(pool, keep: keep)
        }
    }

    private mutating func apply<Target>(_ line: ConfigLine, to target: inout Target, using table: DirectiveTable<Target>) {
        var arguments = ArgumentReader(path: path, tokens: line.tokens)
        let name = arguments.directive.text
        do throws(ConfigError) {
            guard let handler = table.handlers[name] else {
                throw unknownDirective(arguments.directive, in: table.sectionKind)
            }
            directivesGiven.insert(name)
            if !table.repeatable.contains(name) {
                if let first = directivesInSection[name] {
                    // Its values are still read: their errors are the file's too.
                    errors.append(arguments.error("given twice in this section (first at line \(first.line))"))
                } else {
                    directivesInSection[name] = arguments.directive.location
                }
            }
            try handler(&target, &arguments)
            try arguments.finish()
            if arguments.keptErrors.isEmpty, let rejection = UnsupportedFeatures.rejection(of: line.tokens, path: path) {
                throw rejection
            }
        } catch {
            errors.append(error)
        }
        errors.append(contentsOf: arguments.keptErrors)
    }

    private func unknownDirective(_ directive: Token, in sectionKind: String) -> ConfigError {
        var message = "unknown directive '\(directive.text)' in \(sectionKind) section"
        if let homes = Self.sectionKindsByDirective[directive.text] {
            message += " (it belongs in a \(ArgumentReader.alternatives(homes)) section)"
        }
        return ConfigError(path: path, at: directive.location, message)
    }
}
