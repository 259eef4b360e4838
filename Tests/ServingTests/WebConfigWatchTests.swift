import Foundation
import HTTPServer
import TestSupport
import Testing
import TLS
@testable import Configuration
@testable import Serving

/// The web config applied without a restart: the watch's decisions on a manual clock, the gate's swap, and the
/// changes that cannot apply to a running listener.
@Suite struct WebConfigWatchTests {
    typealias Stamp = WebConfigWatch.Stamp
    static let web = Stamp(path: "/etc/web.json", exists: true, inode: 7, size: 120, modifiedNanoseconds: 1_000)
    static let cert = Stamp(path: "/etc/server.pem", exists: true, inode: 8, size: 700, modifiedNanoseconds: 1_000)
    static let good = WebConfigWatch.digest([Array("{}".utf8), Array("CERT".utf8)])

    @Test func checksOnceAnIntervalOnTheInjectedClock() {
        let clock = ManualClock(100)
        var watch = WebConfigWatch(interval: 2, now: clock.now, stamps: [Self.web], digest: Self.good)
        let r1 = watch.isDue(now: clock.now)
        #expect(!r1)
        clock.advance(by: 1.9)
        let r2 = watch.isDue(now: clock.now)
        #expect(!r2)
        clock.advance(by: 0.1)
        let r3 = watch.isDue(now: clock.now)
        #expect(r3)
        let r4 = watch.isDue(now: clock.now)
        #expect(!r4, "one check per interval")
        // A late check (a busy machine) moves the next one an interval after it, not to a backlog.
        clock.advance(by: 7)
        let r5 = watch.isDue(now: clock.now)
        #expect(r5)
        clock.advance(by: 1)
        let r6 = watch.isDue(now: clock.now)
        #expect(!r6)
        clock.advance(by: 1)
        let r7 = watch.isDue(now: clock.now)
        #expect(r7)
    }

    @Test func readsOnlyWhenAStampChanges() {
        var watch = WebConfigWatch(interval: 1, now: 0, stamps: [Self.web, Self.cert], digest: Self.good)
        let r8 = watch.stampsChanged([Self.web, Self.cert])
        #expect(!r8)
        var touched = Self.cert
        touched.modifiedNanoseconds += 1
        let r9 = watch.stampsChanged([Self.web, touched])
        #expect(r9)
        let r10 = watch.stampsChanged([Self.web, touched])
        #expect(!r10, "the new stamps are remembered")
        var replaced = touched
        replaced.inode = 9  // renamed over: same size and time, another file
        let r11 = watch.stampsChanged([Self.web, replaced])
        #expect(r11)
        let r12 = watch.stampsChanged([Self.web, Stamp(path: Self.cert.path, exists: false)])
        #expect(r12)
        let r13 = watch.stampsChanged([Self.web])
        #expect(r13, "a different set of files")
        // Touched with the same bytes: read, and known.
        #expect(watch.judge(digest: Self.good) == .known)
    }

    @Test func aBrokenChangeIsReportedOnceAndTheGoodBytesComeBack() {
        var watch = WebConfigWatch(interval: 1, now: 0, stamps: [Self.web], digest: Self.good)
        let broken = WebConfigWatch.digest([Array("{".utf8), Array("CERT".utf8)])
        #expect(watch.judge(digest: broken) == .new)
        let r14 = watch.settle(digest: broken, applied: false)
        #expect(r14 == .broken(report: true))
        // The same broken bytes again (touched, or seen through another file's stamp): nothing to log or count.
        #expect(watch.judge(digest: broken) == .known)
        let r15 = watch.settle(digest: broken, applied: false)
        #expect(r15 == .broken(report: false))
        let otherBroken = WebConfigWatch.digest([Array("[]".utf8), Array("CERT".utf8)])
        #expect(watch.judge(digest: otherBroken) == .new)
        let r16 = watch.settle(digest: otherBroken, applied: false)
        #expect(r16 == .broken(report: true))
        // Back to the bytes in force: applied again, so the "last reload successful" state comes back.
        #expect(watch.judge(digest: Self.good) == .new)
        let r17 = watch.settle(digest: Self.good, applied: true)
        #expect(r17 == .applied)
        #expect(watch.judge(digest: Self.good) == .known)
        // Broken bytes seen before count again after a good change in between.
        #expect(watch.judge(digest: broken) == .new)
        let renewed = WebConfigWatch.digest([Array("{}".utf8), Array("CERT2".utf8)])
        let r18 = watch.settle(digest: renewed, applied: true)
        #expect(r18 == .applied)
        #expect(watch.judge(digest: renewed) == .known)
        #expect(watch.judge(digest: Self.good) == .new)
    }

    @Test func digestsKeepFilesApart() {
        #expect(WebConfigWatch.digest([Array("ab".utf8), Array("c".utf8)]) != WebConfigWatch.digest([Array("a".utf8), Array("bc".utf8)]))
        #expect(WebConfigWatch.digest([[], nil]) != WebConfigWatch.digest([[], []]), "unreadable is not empty")
        #expect(WebConfigWatch.digest([Array("x".utf8)]) == WebConfigWatch.digest([Array("x".utf8)]))
    }

    @Test func theGateSwapsUsersAndHeadersForTheNextRequest() {
        let gate = WebGate(config: WebConfig(basicAuthUsers: ["alice": ConfigExamples.aliceHash],
                                             headers: [.init("X-Frame-Options", "deny")]))
        func serve(_ user: String, _ password: String) -> HTTPResponse {
            let request = HTTPRequest(method: "GET", target: "/metrics",
                                      headers: [("Authorization", ConfigExamples.basic(user, password))])
            return gate.serve(request) { _ in .text(200, "metrics") }
        }
        let before = serve("alice", "correct horse")
        #expect(before.status == 200)
        #expect(before.headers.contains { $0 == ("X-Frame-Options", "deny") })
        // alice's password changes (bob's hash under her name), the header too.
        gate.apply(WebConfig(basicAuthUsers: ["alice": WebConfigTests.bobHash], headers: [.init("X-Frame-Options", "sameorigin")]))
        let old = serve("alice", "correct horse")
        #expect(old.status == 401, "the cached success of the old hash must not let the old password in")
        #expect(old.headers.contains { $0 == ("X-Frame-Options", "sameorigin") })
        #expect(!old.headers.contains { $0 == ("X-Frame-Options", "deny") })
        #expect(serve("alice", "pa:ss wörd").status == 200)
        // Users removed: no auth at all.
        gate.apply(WebConfig())
        #expect(!gate.requiresAuth)
        #expect(gate.serve(HTTPRequest(method: "GET", target: "/metrics")) { _ in .text(200, "metrics") }.status == 200)
        // And added back while the server runs: `route` is installed from the start.
        gate.apply(WebConfig(basicAuthUsers: ["alice": ConfigExamples.aliceHash]))
        #expect(gate.serve(HTTPRequest(method: "GET", target: "/metrics")) { _ in .text(200, "metrics") }.status == 401)
        let server = gate.server(configuration: HTTPServerConfiguration(),
                                 next: { _ in .text(200, "metrics") })
        #expect(server.configuration.route != nil)
    }

    @Test func switchingBetweenPlainAndTLSIsRefusedWithARestartHint() throws {
        let plain = WebConfig()
        let tls = WebConfig(tlsServer: TLSServerSettings(certificate: .file("/nonexistent/server.pem"),
                                                         privateKey: .file("/nonexistent/server.key")))
        #expect { try plain.replacementTLSContext(for: tls, file: "web.json") } throws: { error in
            "\(error)" == "web.json: tls_server_config: added while the exporter serves plain HTTP; restart the exporter to switch its listener to HTTPS"
        }
        #expect { try tls.replacementTLSContext(for: plain, file: "web.json") } throws: { error in
            "\(error)".hasPrefix("web.json: tls_server_config: removed (or names no certificate) while the exporter serves HTTPS; restart")
        }
        #expect(try plain.replacementTLSContext(for: WebConfig(basicAuthUsers: ["a": ConfigExamples.aliceHash]), file: "w") == nil)
        // TLS to TLS: the new files are loaded, and problems with them reported like at start.
        #expect { try tls.replacementTLSContext(for: tls, file: "web.json") } throws: { error in
            "\(error)".hasPrefix("web.json: tls_server_config")
        }
        #expect(WebConfig.watchedFiles(path: "/w.json", config: plain) == ["/w.json"])
        var mutual = tls
        mutual.tlsServer?.clientCAFile = "/ca.pem"
        #expect(WebConfig.watchedFiles(path: "/w.json", config: mutual)
                == ["/w.json", "/nonexistent/server.pem", "/nonexistent/server.key", "/ca.pem"])
        let inline = WebConfig(tlsServer: TLSServerSettings(certificate: .inline("PEM"), privateKey: .inline("KEY")))
        #expect(WebConfig.watchedFiles(path: "/w.json", config: inline) == ["/w.json"])
    }
}
