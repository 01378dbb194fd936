/// Why a value's text does not parse; the caller adds the location and directive.
struct InvalidValue: Error {
    var reason: String
    init(_ reason: String) {
        self.reason = reason
    }
}
