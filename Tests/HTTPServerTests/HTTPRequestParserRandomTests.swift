import TestSupport
import Testing
@testable import HTTPServer

@Suite struct HTTPRequestParserRandomTests {
    @Test func replaysTheCorpus() {
        for entry in ParserCorpus.entries {
            let outcome = ParseOutcome.of(entry.bytes)
            switch entry.expected {
            case .requests(let count):
                #expect(outcome.error == nil, "\(entry.name): \(outcome)")
                #expect(outcome.requests.count == count, "\(entry.name): \(outcome)")
            case .error(let status):
                #expect(outcome.error?.status == status, "\(entry.name): \(outcome)")
            }
            // And byte by byte, as a slow client would send it.
            #expect(ParseOutcome.of(entry.bytes, cuts: Array(0..<entry.bytes.count)) == outcome, "\(entry.name)")
        }
    }

    /// Mutated corpus requests under small limits: the parser must never trap, must end every input with requests
    /// or an error, must respect its limits, and must not depend on how the input was split.
    @Test func survivesThousandsOfMutatedRequests() {
        var random = SeededGenerator(seed: 0x5EED_C0FFEE)
        let limits = HTTPRequestParser.Limits(maxRequestLineBytes: 64, maxHeadBytes: 256, maxHeaderCount: 6, maxBodyBytes: 24)
        let seeds = ParserCorpus.entries.map(\.bytes)
        let interesting: [UInt8] = Array(" :\r\n\t,0123456789-/\u{7F}".utf8) + [0, 0x80, 0xFF]
        var failures: [String] = []
        var statuses: [Int: Int] = [:]
        var requestCount = 0

        for iteration in 0..<3000 {
            var input = seeds.randomElement(using: &random)!
            if input.count > 600 { input = Array(input.prefix(600)) }
            for _ in 0..<Int.random(in: 1...4, using: &random) {
                Self.mutate(&input, interesting: interesting, using: &random)
            }
            let cuts = (0..<Int.random(in: 1...4, using: &random))
                .map { _ in Int.random(in: 0...input.count, using: &random) }.sorted()
            let whole = ParseOutcome.of(input, limits: limits)
            let pieces = ParseOutcome.of(input, cuts: cuts, limits: limits)

            if whole != pieces { failures.append("#\(iteration) split \(cuts) changed \(whole) into \(pieces)") }
            let onlyEmptyLines = input.allSatisfy { $0 == 0x0A } || input.allSatisfy { $0 == 0x0A || $0 == 0x0D }
            if whole.requests.isEmpty && whole.error == nil && !onlyEmptyLines && !input.isEmpty {
                failures.append("#\(iteration) neither a request nor an error from \(input)")
            }
            for request in whole.requests where !Self.isValid(request, limits: limits) {
                failures.append("#\(iteration) invalid request \(request)")
            }
            if let error = whole.error { statuses[error.status, default: 0] += 1 }
            requestCount += whole.requests.count
        }
        #expect(failures.isEmpty, "\(failures.count) failures, first: \(failures.prefix(3))")
        // The mutations must reach both outcomes and the limit paths, or this test proves little.
        #expect(requestCount > 300)
        for status in [400, 413, 414, 431] { #expect(statuses[status, default: 0] > 0, "no \(status) reached") }
    }

    private static func isValid(_ request: RequestSummary, limits: HTTPRequestParser.Limits) -> Bool {
        !request.method.isEmpty && request.method.utf8.allSatisfy(HTTPRequestParser.isTokenByte)
            && !request.target.isEmpty && !request.target.utf8.contains(where: { $0 <= 0x20 || $0 >= 0x7F })
            && ["HTTP/1.0", "HTTP/1.1"].contains(request.version)
            && request.headers.count <= limits.maxHeaderCount
            && request.body.count <= limits.maxBodyBytes
            && request.headers.allSatisfy { !$0.utf8.contains(0x0D) && !$0.utf8.contains(0x0A) && !$0.utf8.contains(0) }
    }

    private static func mutate(_ input: inout [UInt8], interesting: [UInt8], using random: inout SeededGenerator) {
        let position = Int.random(in: 0...input.count, using: &random)
        switch Int.random(in: 0..<7, using: &random) {
        case 0 where position < input.count: // flip a bit
            input[position] ^= UInt8(1) << UInt8.random(in: 0..<8, using: &random)
        case 1: // insert a delimiter or an awkward byte
            input.insert(interesting.randomElement(using: &random)!, at: position)
        case 2 where position < input.count: // delete a run
            input.removeSubrange(position..<min(input.count, position + Int.random(in: 1...8, using: &random)))
        case 3 where position < input.count: // duplicate a run, which grows lines and headers past the limits
            let run = input[position..<min(input.count, position + Int.random(in: 1...40, using: &random))]
            input.insert(contentsOf: Array(repeating: Array(run), count: Int.random(in: 1...6, using: &random)).joined(),
                         at: position)
        case 4: // truncate
            input.removeSubrange(position...)
        case 5 where position < input.count: // overwrite with a random byte
            input[position] = UInt8.random(in: 0...255, using: &random)
        default: // splice in the tail of another request, as pipelining would
            input.append(contentsOf: Array("GET /x HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc".utf8).suffix(
                Int.random(in: 1...40, using: &random)))
        }
    }
}
