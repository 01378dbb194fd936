/// The directives of a `pool NAME` section (SPEC §2).
enum PoolDirectives {
    private enum HealthCheckType: String, CaseIterable {
        case tcp, send
    }

    private enum HealthCheckOption: String, CaseIterable {
        case interval, timeout, rise, fall
    }

    private enum ServerOption: String, CaseIterable {
        case weight, backup
    }

    static let table = DirectiveTable<ParsedConfig.Pool>(
        sectionKind: "pool",
        handlers: [
            "balance": { (pool, arguments) throws(ConfigError) in
                pool.config.balance = try arguments.choice("algorithm")
            },
            "connect-timeout": { (pool, arguments) throws(ConfigError) in
                pool.config.connectTimeoutMilliseconds = try arguments.duration("connect timeout")
            },
            "retries": { (pool, arguments) throws(ConfigError) in
                pool.config.retries = try arguments.integer("retry count", in: 0...100)
            },
            "health-check": { (pool, arguments) throws(ConfigError) in
                pool.config.healthCheck = try healthCheck(&arguments)
            },
            "server": { (pool, arguments) throws(ConfigError) in
                // A bad name, address or weight does not hide the others' errors.
                let name = arguments.keepingError { (line) throws(ConfigError) in try line.name("server name") }
                let nameLocation = arguments.lastArgumentLocation
                if name == nil && arguments.isAtEnd { return }  // `server` alone: "missing address" would add nothing
                let address = arguments.keepingError { (line) throws(ConfigError) in
                    try line.endpoint("address", allowingHostNames: true)
                }
                let addressLocation = arguments.lastArgumentLocation
                var weight: Int?
                var backup = false
                while let option = try arguments.nextOption(ServerOption.self) {
                    switch option {
                    case .weight:
                        weight = arguments.keepingError { (line) throws(ConfigError) in
                            try line.integer("weight", in: 1...256)
                        }
                    case .backup: backup = true
                    }
                }
                guard let name, let address, arguments.keptErrors.isEmpty else { return }
                pool.config.servers.append(ServerConfig(name: name, address: address, weight: weight ?? 1, backup: backup))
                pool.serverLocations.append(nameLocation)
                pool.serverAddressLocations.append(addressLocation)
            },
        ],
        repeatable: ["server"]
    )

    /// `tcp` or `send STRING expect STRING`, then `interval`, `timeout`, `rise`, `fall` in any order.
    private static func healthCheck(_ arguments: inout ArgumentReader) throws(ConfigError) -> HealthCheckConfig {
        var check: HealthCheckConfig
        switch try arguments.choice("check type", of: HealthCheckType.self) {
        case .tcp:
            check = HealthCheckConfig(kind: .tcp)
        case .send:
            let send = try arguments.next("bytes to send").bytes
            guard arguments.consume("expect") else {
                throw arguments.error("expected 'expect' and the reply's first bytes after the bytes to send")
            }
            let expect = try arguments.next("expected reply")
            guard !expect.bytes.isEmpty else {
                throw arguments.error("expected reply must not be empty", at: expect)
            }
            check = HealthCheckConfig(kind: .sendExpect(send: send, expect: expect.bytes))
        }
        while let option = try arguments.nextOption(HealthCheckOption.self) {
            switch option {
            case .interval: check.intervalMilliseconds = try arguments.duration("interval")
            case .timeout: check.timeoutMilliseconds = try arguments.duration("timeout")
            case .rise: check.rise = try arguments.integer("rise", in: 1...Int.max)
            case .fall: check.fall = try arguments.integer("fall", in: 1...Int.max)
            }
        }
        // A check still waiting when the next one is due would overlap it.
        guard check.timeoutMilliseconds <= check.intervalMilliseconds else {
            throw arguments.error("timeout (\(DurationParser.format(check.timeoutMilliseconds))) must not be longer than interval (\(DurationParser.format(check.intervalMilliseconds)))")
        }
        return check
    }
}
