import CCrypt
import Configuration
import Glibc
import Logging
import RunStatusModel
import RunStore

/// bcrypt checks through crypt(3) of the system's libxcrypt, which knows `$2a$`, `$2b$` and `$2y$` hashes.
enum Bcrypt {
    /// `$2a$`, `$2b$` or `$2y$`, a two-digit cost from 4 to 31, `$`, then 53 characters of bcrypt's base64
    /// (22 of salt, 31 of hash): the shape htpasswd, Go's bcrypt and Python's bcrypt write.
    static func isWellFormed(_ hash: String) -> Bool {
        let bytes = Array(hash.utf8)
        guard bytes.count == 60, bytes[0] == UInt8(ascii: "$"), bytes[1] == UInt8(ascii: "2"),
              [UInt8(ascii: "a"), UInt8(ascii: "b"), UInt8(ascii: "y")].contains(bytes[2]), bytes[3] == UInt8(ascii: "$"),
              bytes[6] == UInt8(ascii: "$"), let cost = Int(String(decoding: bytes[4...5], as: UTF8.self)),
              (4...31).contains(cost) else { return false }
        return bytes[7...].allSatisfy { b in
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x2E || b == 0x2F
        }
    }

    /// The cost of a well-formed hash (its two digits); nil otherwise.
    static func cost(of hash: String) -> Int? {
        guard isWellFormed(hash) else { return nil }
        return Int(String(decoding: Array(hash.utf8)[4...5], as: UTF8.self))
    }

    /// A new `$2b$` hash of `password` at `cost`, salted from the system's random source; nil when crypt refuses.
    static func hash(password: [UInt8], cost: Int) -> String? {
        var setting = [CChar](repeating: 0, count: Int(CRYPT_GENSALT_OUTPUT_SIZE))
        guard crypt_gensalt_rn("$2b$", UInt(cost), nil, 0, &setting, Int32(setting.count)) != nil else { return nil }
        let text = String(decoding: setting.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return crypt(password: password, setting: text).map { String(decoding: $0, as: UTF8.self) }
    }

    /// Whether `password` hashes to `hash`. Slow on purpose (tens of milliseconds at cost 10): callers cache.
    /// The final comparison takes the same time wherever the first difference is.
    static func verify(password: [UInt8], hash: String) -> Bool {
        guard let computed = crypt(password: password, setting: hash) else { return false }
        return constantTimeEquals(computed, Array(hash.utf8))
    }

    /// crypt_r with its large scratch area on the heap; nil when crypt refuses the setting or the passphrase
    /// (a NUL byte in it, or longer than crypt's limit).
    static func crypt(password: [UInt8], setting: String) -> [UInt8]? {
        guard !password.contains(0) else { return nil }
        let data = UnsafeMutablePointer<crypt_data>.allocate(capacity: 1)
        defer {
            // The scratch area held the password: wipe it before giving the memory back.
            memset(data, 0, MemoryLayout<crypt_data>.size)
            data.deallocate()
        }
        memset(data, 0, MemoryLayout<crypt_data>.size)
        let phrase = password.map { CChar(bitPattern: $0) } + [0]
        guard let result = crypt_r(phrase, setting, data) else { return nil }
        let output = Array(String(cString: result).utf8)
        // Failure is reported as a string starting with `*` ("*0" or "*1"), never a valid hash.
        guard output.first != UInt8(ascii: "*") else { return nil }
        return output
    }

    /// Equal length and equal bytes, in time that depends on the length only.
    static func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }
}
