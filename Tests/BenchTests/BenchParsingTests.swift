import Testing
@testable import runstatus_bench

/// The bench's readers of other programs' output: wrk's report and HTTP response heads.
struct BenchParsingTests {
    @Test func readsWrksReport() throws {
        let report = try #require(WrkLoad.parse("""
            Running 3s test @ http://127.0.0.1:40000/metrics
              2 threads and 32 connections
              Thread Stats   Avg      Stdev     Max   +/- Stdev
                Latency     2.42ms    1.03ms  21.87ms   83.51%
                Req/Sec     6.61k   412.25     7.28k    71.67%
              Latency Distribution
                 50%  812.00us
                 75%    2.81ms
                 90%    3.43ms
                 99%    1.05s
              39512 requests in 3.00s, 6.93GB read
              Non-2xx or 3xx responses: 2
              Socket errors: connect 0, read 1, write 0, timeout 3
            Requests/sec:  13166.71
            Transfer/sec:      2.31GB
            """))
        #expect(report.responsesPerSecond == 13166.71)
        #expect(report.responses == 39512)
        #expect(report.seconds == 3)
        #expect(abs(report.p50Seconds - 0.000812) < 1e-12)
        #expect(report.p99Seconds == 1.05)
        #expect(report.errors == 6)
        #expect(WrkLoad.parse("wrk: connection refused") == nil)
    }

    @Test func readsAResponseHead() throws {
        let head = Array("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\ncontent-length: 1234\r\n\r\nbody".utf8)
        let end = try #require(LoadGenerator.headEnd(head, from: 0))
        #expect(Array(head[(end + 4)...]) == Array("body".utf8))
        let (status, length) = try #require(LoadGenerator.parseHead(head[0..<end]))
        #expect(status == 200)
        #expect(length == 1234)
        #expect(LoadGenerator.headEnd(Array("HTTP/1.1 200 OK\r\n\r".utf8), from: 0) == nil)
    }
}
