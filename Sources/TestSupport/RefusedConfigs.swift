/// Configs that could never work, each with the JSON path and the words of the problem the loader names: read by
/// the loader's tests and by the real program's (exit 2 at start and on `--config.check`).
public enum RefusedConfigs {
    public static func config(auth: String = #"{"type":"bearer","credentials":"good-token-123"}"#, headers: String = "{}") -> String {
        #"{"targets":[{"name":"nx","vendor":"nexio","url":"http://127.0.0.1:9","runs":["r1"],"auth":\#(auth),"headers":\#(headers)}]}"#
    }

    /// Each case: the config, the JSON path and words of the problem. `FILE` and `DIR` stand for paths made per test.
    public static let cases: [(name: String, config: String, path: String, problem: String)] = [
        ("CR LF in an inline credential", config(auth: #"{"type":"bearer","credentials":"good-token\r\nX-Evil: 1"}"#),
         "targets[0].auth.credentials", "the secret holds a line break (CR or LF), which an HTTP header cannot carry"),
        ("LF in an inline credential", config(auth: #"{"type":"bearer","credentials":"good-token\n123"}"#),
         "targets[0].auth.credentials", "the secret holds a line break (CR or LF)"),
        ("NUL in an inline credential", config(auth: #"{"type":"bearer","credentials":"good-token\u0000123"}"#),
         "targets[0].auth.credentials", "the secret holds a NUL character"),
        ("CR LF in a header value", config(headers: #"{"IB-Context":"org-acme\r\nX-Evil: 1"}"#),
         "targets[0].headers.IB-Context", "value holds a line break (CR or LF)"),
        ("NUL in a header value", config(headers: #"{"IB-Context":"org\u0000acme"}"#),
         "targets[0].headers.IB-Context", "value holds a NUL character"),
        ("LF inside the secret of a credentials file", config(auth: #"{"type":"bearer","credentials_file":"FILE"}"#),
         "targets[0].auth.credentials_file", "the secret in file \"FILE\" holds a line break (CR or LF)"),
        ("a credentials file that is a directory", config(auth: #"{"type":"bearer","credentials_file":"DIR"}"#),
         "targets[0].auth.credentials_file", "file \"DIR\" is a directory, not a file holding the secret"),
        ("LF in a credentials environment variable", config(auth: #"{"type":"bearer","credentials_env":"RST_TEST_LF_TOKEN"}"#),
         "targets[0].auth.credentials_env", "the secret in environment variable RST_TEST_LF_TOKEN holds a line break"),
        ("a secret too short to be kept out of logs", config(auth: #"{"type":"bearer","credentials":"abc"}"#),
         "targets[0].auth.credentials", "the secret is only 3 character(s) long; secrets shorter than 8 are refused"),
    ]

    public static let environment = ["RST_TEST_LF_TOKEN": "env-token\n123"]
}
