import Foundation

/// Reads a secret when a request is about to be made: a `credentials_file` is read again on every poll cycle
/// so rotation needs no restart. Errors name the source, never the secret.
struct Credentials: Sendable {
    var environment: @Sendable (String) -> String? = { ProcessInfo.processInfo.environment[$0] }

    func read(_ source: CredentialSource) -> Result<String, CredentialError> {
        switch source {
        case .inline(let s):
            return .success(s)
        case .environment(let name):
            guard let v = environment(name), !v.isEmpty else { return .failure(CredentialError("environment variable \(name) is not set or empty")) }
            return .success(v)
        case .file(let path):
            guard let data = FileManager.default.contents(atPath: path) else {
                return .failure(CredentialError("cannot read credentials file \(path)"))
            }
            // Files written by editors and secret managers often end in a newline.
            let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            guard !text.isEmpty else { return .failure(CredentialError("credentials file \(path) is empty")) }
            return .success(text)
        }
    }
}

struct CredentialError: Error, Sendable {
    var message: String
    init(_ message: String) { self.message = message }
}
