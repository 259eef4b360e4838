import ChildProcesses
import Foundation
import Glibc
import TestSupport
import Testing

// Support for the production-listener tests: an exposition parser and the Python prometheus_client cross-check.

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
