import Logging
import RunStatusModel

/// Where a secret lives. Custom `description` so a secret never leaks through string interpolation.
public enum CredentialSource: Sendable, Equatable, CustomStringConvertible {
    case inline(String)
    case file(String)
    case environment(String)

    public var summary: String {
        switch self {
        case .inline: "inline"
        case .file(let path): "file \(path)"
        case .environment(let name): "env \(name)"
        }
    }

    public var description: String { summary }
}
