@testable import HTTPServer

/// A request reduced to comparable values.
struct RequestSummary: Equatable, CustomStringConvertible {
    var method: String
    var target: String
    var version: String
    var headers: [String]
    var body: [UInt8]

    init(_ request: HTTPRequest) {
        method = request.method
        target = request.target
        version = request.version
        headers = request.headers.map { "\($0.name): \($0.value)" }
        body = request.body
    }

    init(_ method: String, _ target: String, _ version: String = "HTTP/1.1", headers: [String] = [], body: String = "") {
        self.method = method
        self.target = target
        self.version = version
        self.headers = headers
        self.body = Array(body.utf8)
    }

    var description: String { "\(method) \(target) \(version) \(headers) body=\(body.count)B" }
}

/// Everything a parser made of one input: the requests, then the error or clean end.
struct ParseOutcome: Equatable, CustomStringConvertible {
    var requests: [RequestSummary] = []
    var error: HTTPParseError?

    /// Feeds `input` in pieces ending at `cuts` (sorted offsets), draining requests after each, then finishes.
    static func of(_ input: [UInt8], cuts: [Int] = [], limits: HTTPRequestParser.Limits = .init()) -> ParseOutcome {
        var parser = HTTPRequestParser(limits: limits)
        var outcome = ParseOutcome()
        var from = 0
        for end in cuts + [input.count] where end >= from {
            parser.append(input[from..<end])
            from = end
            do {
                while let request = try parser.next() {
                    outcome.requests.append(RequestSummary(request))
                    if outcome.requests.count > input.count + 1 { fatalError("parser produced requests from nothing") }
                }
            } catch {
                outcome.error = error
                return outcome
            }
        }
        do { try parser.finish() } catch { outcome.error = error }
        return outcome
    }

    static func of(_ text: String, cuts: [Int] = [], limits: HTTPRequestParser.Limits = .init()) -> ParseOutcome {
        of(Array(text.utf8), cuts: cuts, limits: limits)
    }

    var description: String { "\(requests) error=\(error.map(String.init(describing:)) ?? "none")" }
}
