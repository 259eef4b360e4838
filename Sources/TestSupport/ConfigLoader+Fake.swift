import Configuration
import Logging

extension ConfigLoader {
    /// A loader that sees only the given environment and files (any other path does not exist).
    public static func fake(environment: [String: String] = [:], files: [String: String] = [:],
                            redactor: SecretRedactor? = nil) -> ConfigLoader {
        ConfigLoader(environment: { environment[$0] }, readFile: { path in
            files[path].map { .success(Array($0.utf8)) } ?? .failure(CredentialError("file \"\(path)\" does not exist or is not readable"))
        }, redactor: redactor)
    }
}
