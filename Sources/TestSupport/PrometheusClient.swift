import ChildProcesses
import Foundation

/// Python's prometheus_client reading of an exposition: families (name, type, help) and samples.
public func parseWithPrometheusClient(_ text: String, openMetrics: Bool) async throws -> (families: [ParsedFamily], samples: [ParsedSample]) {
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
