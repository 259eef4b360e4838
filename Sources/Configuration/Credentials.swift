import Foundation
import Logging
import RunStatusModel

/// Reads a secret when a request is about to be made: a `credentials_file` is read again on every poll cycle
/// so rotation needs no restart. Errors name the source, never the secret. Every value read, good or bad, is
/// handed to the redactor first, so the current and the earlier values stay out of logs and pages.
/// The config loader reads through the same checks, so what would fail every poll is refused at start instead.
public struct Credentials: Sendable {
    var environment: @Sendable (String) -> String? = { ProcessInfo.processInfo.environment[$0] }
    var readFile: @Sendable (String) -> Result<[UInt8], CredentialError> = Credentials.readFile
    var redactor: SecretRedactor?

    package init(environment: @escaping @Sendable (String) -> String? = { ProcessInfo.processInfo.environment[$0] },
                 readFile: @escaping @Sendable (String) -> Result<[UInt8], CredentialError> = Credentials.readFile,
                 redactor: SecretRedactor? = nil) {
        self.environment = environment
        self.readFile = readFile
        self.redactor = redactor
    }

    package func read(_ source: CredentialSource) -> Result<String, CredentialError> {
        let secret: String
        let origin: String
        switch source {
        case .inline(let s):
            secret = s
            origin = "the secret"
        case .environment(let name):
            guard let v = environment(name), !v.isEmpty else { return .failure(CredentialError("environment variable \(name) is not set or empty")) }
            secret = v
            origin = "the secret in environment variable \(name)"
        case .file(let path):
            let data: [UInt8]
            switch readFile(path) {
            case .success(let d): data = d
            case .failure(let e): return .failure(e)
            }
            // Files written by editors and secret managers often end in a newline.
            secret = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            guard !secret.isEmpty else { return .failure(CredentialError("file \"\(path)\" is empty")) }
            origin = "the secret in file \"\(path)\""
        }
        redactor?.register(secret)
        // A refused value may still have gone out before (or go out elsewhere) one line at a time.
        let pieces = secret.unicodeScalars.split { $0.value < 0x20 && $0 != "\t" }
        if pieces.count > 1 { redactor?.register(pieces.map { String(String.UnicodeScalarView($0)) }) }
        if let problem = Self.contentProblem(secret) { return .failure(CredentialError("\(origin) \(problem)")) }
        return .success(secret)
    }

    /// Why a value cannot be sent in an HTTP header, or kept out of logs; nil when it can.
    static func contentProblem(_ secret: String) -> String? {
        if let p = headerValueProblem(secret) { return p }
        let length = secret.unicodeScalars.count
        if secret.utf8.count < SecretRedactor.minimumLength {
            return "is only \(length) character(s) long; secrets shorter than \(SecretRedactor.minimumLength) are refused "
                + "because they could not be hidden from logs without hiding ordinary words too"
        }
        return nil
    }

    /// Why `value` cannot go into an HTTP header field (CR, LF, NUL and other control characters; a tab is fine).
    static func headerValueProblem(_ value: String) -> String? {
        for scalar in value.unicodeScalars {
            switch scalar.value {
            case 0x0D, 0x0A: return "holds a line break (CR or LF), which an HTTP header cannot carry"
            case 0x00: return "holds a NUL character, which an HTTP header cannot carry"
            case 0x09: continue
            case 0x01..<0x20, 0x7F:
                return "holds a control character (\(String(format: "U+%04X", scalar.value))), which an HTTP header cannot carry"
            default: continue
            }
        }
        return nil
    }

    /// The whole file, or why not: missing or unreadable, a directory, too large to be a secret.
    public static func readFile(_ path: String) -> Result<[UInt8], CredentialError> {
        var info = stat()
        guard stat(path, &info) == 0 else { return .failure(CredentialError("file \"\(path)\" does not exist or is not readable")) }
        if info.st_mode & S_IFMT == S_IFDIR {
            return .failure(CredentialError("file \"\(path)\" is a directory, not a file holding the secret"))
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            return .failure(CredentialError("file \"\(path)\" is not a regular file"))
        }
        guard info.st_size <= 64 << 10 else {
            return .failure(CredentialError("file \"\(path)\" is \(info.st_size) bytes, too large to hold one secret (at most 64 KiB)"))
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            return .failure(CredentialError("file \"\(path)\" does not exist or is not readable"))
        }
        return .success(Array(data))
    }
}
