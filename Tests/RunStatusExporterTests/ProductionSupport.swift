import ChildProcesses
import Foundation
import Glibc
import TestSupport
import Testing

// Support for the production-listener tests: raw HTTP on loopback, an exposition parser and the Python
// prometheus_client cross-check.

// MARK: - Raw HTTP

/// A response read off the wire, bytes untouched (URLSession would decode gzip on its own).
struct RawResponse: Sendable {
    var status: Int
    var headers: [(name: String, value: String)]
    var body: [UInt8]
    var text: String { String(decoding: body, as: UTF8.self) }
    func header(_ name: String) -> String? { headers.first { $0.name.lowercased() == name.lowercased() }?.value }
}

/// One request with `Connection: close` on a fresh loopback connection, on a thread of its own; the response is
/// read to the end of input.
func rawRequest(port: UInt16, _ target: String, method: String = "GET", headers: [(String, String)] = [],
                body: String = "") async throws -> RawResponse {
    try await withCheckedThrowingContinuation { continuation in
        Thread {
            continuation.resume(with: Result {
                try rawRequestNow(port: port, method: method, target: target, headers: headers, body: body)
            })
        }.start()
    }
}

private func rawRequestNow(port: UInt16, method: String, target: String, headers: [(String, String)],
                           body: String) throws -> RawResponse {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue), 0)
    guard fd >= 0 else { throw TestFailure("socket: errno \(errno)") }
    defer { close(fd) }
    var timeout = timeval(tv_sec: 15, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = port.bigEndian
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard connected == 0 else { throw TestFailure("connect 127.0.0.1:\(port): errno \(errno)") }
    var request = "\(method) \(target) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n"
    for (name, value) in headers { request += "\(name): \(value)\r\n" }
    if !body.isEmpty { request += "Content-Length: \(body.utf8.count)\r\n" }
    request += "\r\n" + body
    let bytes = Array(request.utf8)
    var sent = 0
    while sent < bytes.count {
        let n = bytes[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        guard n > 0 else { throw TestFailure("send: errno \(errno)") }
        sent += n
    }
    var received: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n == 0 { break }
        guard n > 0 else { throw TestFailure("recv: errno \(errno) after \(received.count) bytes") }
        received.append(contentsOf: chunk[0..<n])
    }
    guard let end = received.indices.dropLast(3).first(where: {
        received[$0] == 13 && received[$0 + 1] == 10 && received[$0 + 2] == 13 && received[$0 + 3] == 10
    }) else { throw TestFailure("no response head in \(received.count) bytes") }
    let lines = String(decoding: received[..<end], as: UTF8.self).components(separatedBy: "\r\n")
    let statusParts = lines[0].split(separator: " ")
    guard statusParts.count >= 2, let status = Int(statusParts[1]) else { throw TestFailure("bad status line \(lines[0])") }
    let parsed = lines.dropFirst().map { line -> (name: String, value: String) in
        let parts = line.split(separator: ":", maxSplits: 1)
        return (String(parts[0]), parts.count > 1 ? parts[1].trimmingCharacters(in: .whitespaces) : "")
    }
    return RawResponse(status: status, headers: parsed, body: Array(received[(end + 4)...]))
}

// MARK: - Expositions

/// One sample as a parser sees it: name, labels, value.
struct ParsedSample: Hashable, Sendable, CustomStringConvertible {
    var name: String
    var labels: [String: String]
    var value: Double

    /// NaN equals NaN here: what matters is that both parsers read the same thing.
    static func == (a: Self, b: Self) -> Bool {
        a.name == b.name && a.labels == b.labels && (a.value == b.value || (a.value.isNaN && b.value.isNaN))
    }

    func hash(into hasher: inout Hasher) {
        hasher.combine(name)
        hasher.combine(labels)
    }

    var description: String {
        "\(name){\(labels.sorted { $0.key < $1.key }.map { "\($0.key)=\"\($0.value)\"" }.joined(separator: ","))} \(value)"
    }
}

/// A metric family's metadata as written.
struct ParsedFamily: Equatable, Sendable {
    var name: String
    var type: String
    var help: String
}

/// Our own strict reader of both formats: comments, label escapes, values. Throws at the first line it cannot
/// read, naming it.
func parseExpositionStrictly(_ text: String, openMetrics: Bool) throws -> (families: [ParsedFamily], samples: [ParsedSample]) {
    var families: [ParsedFamily] = []
    var samples: [ParsedSample] = []
    var helps: [String: String] = [:]
    var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    guard lines.last == "" else { throw TestFailure("the exposition does not end with a line feed") }
    lines.removeLast()
    if openMetrics {
        guard lines.last == "# EOF" else { throw TestFailure("OpenMetrics without # EOF at the end") }
        lines.removeLast()
    }
    for line in lines {
        if line.hasPrefix("# HELP ") {
            let rest = line.dropFirst(7)
            guard let space = rest.firstIndex(of: " ") else { throw TestFailure("HELP without text: \(line)") }
            helps[String(rest[..<space])] = try unescape(rest[rest.index(after: space)...], quotes: openMetrics, line: line)
        } else if line.hasPrefix("# TYPE ") {
            let parts = line.dropFirst(7).split(separator: " ")
            guard parts.count == 2 else { throw TestFailure("bad TYPE line: \(line)") }
            families.append(ParsedFamily(name: String(parts[0]), type: String(parts[1]), help: helps[String(parts[0])] ?? ""))
        } else if line.hasPrefix("#") || line.isEmpty {
            throw TestFailure("unexpected line: \(line)")
        } else {
            samples.append(try parseSample(line))
        }
    }
    return (families, samples)
}

private func parseSample(_ line: String) throws -> ParsedSample {
    let bytes = Array(line.utf8)
    var index = 0
    while index < bytes.count, bytes[index] != UInt8(ascii: "{"), bytes[index] != UInt8(ascii: " ") { index += 1 }
    let name = String(decoding: bytes[0..<index], as: UTF8.self)
    var labels: [String: String] = [:]
    if index < bytes.count, bytes[index] == UInt8(ascii: "{") {
        index += 1
        while bytes[index] != UInt8(ascii: "}") {
            let nameStart = index
            while bytes[index] != UInt8(ascii: "=") { index += 1 }
            let labelName = String(decoding: bytes[nameStart..<index], as: UTF8.self)
            guard bytes[index + 1] == UInt8(ascii: "\"") else { throw TestFailure("unquoted label value: \(line)") }
            index += 2
            var value: [UInt8] = []
            while bytes[index] != UInt8(ascii: "\"") {
                if bytes[index] == UInt8(ascii: "\\") {
                    index += 1
                    switch bytes[index] {
                    case UInt8(ascii: "n"): value.append(10)
                    case UInt8(ascii: "\\"), UInt8(ascii: "\""): value.append(bytes[index])
                    default: throw TestFailure("bad escape in a label value: \(line)")
                    }
                } else {
                    value.append(bytes[index])
                }
                index += 1
            }
            index += 1
            guard labels.updateValue(String(decoding: value, as: UTF8.self), forKey: labelName) == nil else {
                throw TestFailure("label \(labelName) twice: \(line)")
            }
            if bytes[index] == UInt8(ascii: ",") { index += 1 }
        }
        index += 1
    }
    guard index < bytes.count, bytes[index] == UInt8(ascii: " ") else { throw TestFailure("no value: \(line)") }
    let valueText = String(decoding: bytes[(index + 1)...], as: UTF8.self)
    guard let value = parseValue(valueText) else { throw TestFailure("bad value \(valueText): \(line)") }
    return ParsedSample(name: name, labels: labels, value: value)
}

func parseValue(_ text: String) -> Double? {
    switch text.lowercased() {
    case "+inf", "inf": .infinity
    case "-inf": -.infinity
    case "nan": .nan
    default: Double(text)
    }
}

private func unescape(_ text: Substring, quotes: Bool, line: String) throws -> String {
    var out = ""
    var escaping = false
    for character in text {
        if escaping {
            switch character {
            case "n": out.append("\n")
            case "\\": out.append("\\")
            case "\"" where quotes: out.append("\"")
            default: throw TestFailure("bad escape in HELP: \(line)")
            }
            escaping = false
        } else if character == "\\" {
            escaping = true
        } else {
            out.append(character)
        }
    }
    return out
}

/// Python's prometheus_client reading of an exposition: families (name, type, help) and samples.
func parseWithPrometheusClient(_ text: String, openMetrics: Bool) async throws -> (families: [ParsedFamily], samples: [ParsedSample]) {
    let python3 = try Program.python3.require()
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    try directory.write("exposition.txt", text)
    let script = """
    import json, sys
    if sys.argv[1] == "openmetrics":
        from prometheus_client.openmetrics.parser import text_string_to_metric_families
    else:
        from prometheus_client.parser import text_string_to_metric_families
    text = open(sys.argv[2], encoding="utf-8").read()
    out = []
    for f in text_string_to_metric_families(text):
        out.append({"name": f.name, "type": f.type, "help": f.documentation,
                    "samples": [[s.name, s.labels, repr(float(s.value))] for s in f.samples]})
    json.dump(out, open(sys.argv[3], "w"))
    """
    try directory.write("parse.py", script)
    let result = try await SpawnedProcess.run(python3, [directory.file("parse.py"), openMetrics ? "openmetrics" : "text",
                                                        directory.file("exposition.txt"), directory.file("out.json")])
    guard result.status == 0 else { throw TestFailure("prometheus_client refused the exposition:\n\(result.output)") }
    let data = try Data(contentsOf: URL(fileURLWithPath: directory.file("out.json")))
    let decoded = try JSONSerialization.jsonObject(with: data) as? [[String: Any]] ?? []
    var families: [ParsedFamily] = []
    var samples: [ParsedSample] = []
    for family in decoded {
        families.append(ParsedFamily(name: family["name"] as? String ?? "", type: family["type"] as? String ?? "",
                                     help: family["help"] as? String ?? ""))
        for sample in family["samples"] as? [[Any]] ?? [] {
            guard sample.count == 3, let name = sample[0] as? String, let labels = sample[1] as? [String: String],
                  let valueText = sample[2] as? String, let value = parseValue(valueText) else {
                throw TestFailure("unexpected sample from python: \(sample)")
            }
            samples.append(ParsedSample(name: name, labels: labels, value: value))
        }
    }
    return (families, samples)
}
