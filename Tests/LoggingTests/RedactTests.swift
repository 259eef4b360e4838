import Testing
@testable import Logging

/// `Redact.url`: userinfo is hidden wherever a URL is shown.
@Suite struct RedactTests {
    @Test func urlUserinfoIsRedacted() {
        #expect(Redact.url("https://user:pw@host:8443/path?q=1") == "https://xxxxx@host:8443/path?q=1")
        #expect(Redact.url("https://host/a@b") == "https://host/a@b")
    }

    @Test func redactsUserinfoInURLs() {
        let cases: [(String, String)] = [
            ("http://user:pass@host:8080/path?q=1", "http://xxxxx@host:8080/path?q=1"),
            ("https://token@host/", "https://xxxxx@host/"),
            ("https://a:b@c@host/x", "https://xxxxx@host/x"),
            ("https://host/path@not-userinfo", "https://host/path@not-userinfo"),
            ("https://host/path?mail=a@b", "https://host/path?mail=a@b"),
            ("https://u:raw/slash@host/", "https://xxxxx@host/"),
            ("https://u:raw?q@host/", "https://xxxxx@host/"),
            ("https://host", "https://host"),
            ("not a url", "not a url"),
        ]
        for (input, expected) in cases { #expect(Redact.url(input) == expected, "\(input)") }
    }
}
