/// A metric family's metadata as written.
public struct ParsedFamily: Equatable, Sendable {
    public var name: String
    public var type: String
    public var help: String

    public init(name: String, type: String, help: String) {
        self.name = name
        self.type = type
        self.help = help
    }
}
