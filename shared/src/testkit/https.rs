//! Reading a part's HTTP as clients we did not write do: Python's `urllib` over OpenSSL for
//! HTTPS, and a bare socket for what a plain-HTTP client gets.

use std::path::Path;
use std::process::Command;

/// The body Python's `urllib` reads from `url`, trusting only the authority in `ca`; or what
/// Python said when it refused (a certificate it does not trust, a connection that failed).
pub fn get(url: &str, ca: &Path) -> Result<String, String> {
    let script = "import ssl, sys, urllib.request\n\
        context = ssl.create_default_context(cafile=sys.argv[2])\n\
        try:\n\
        \x20   print(urllib.request.urlopen(sys.argv[1], context=context, timeout=20).read().decode())\n\
        except Exception as e:\n\
        \x20   print(repr(e), file=sys.stderr)\n\
        \x20   sys.exit(3)\n";
    let out =
        Command::new("python3").args(["-c", script, url]).arg(ca).output().expect("python3 runs");
    match out.status.success() {
        true => Ok(String::from_utf8_lossy(&out.stdout).into_owned()),
        false => Err(String::from_utf8_lossy(&out.stderr).into_owned()),
    }
}

/// What a plain-HTTP client reads back for `GET path` on `port` of this machine: the bytes
/// the server sent before closing, however few.
pub fn plain_get(port: u16, path: &str) -> Vec<u8> {
    use std::io::{Read as _, Write as _};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connects");
    stream.set_read_timeout(Some(std::time::Duration::from_secs(20))).expect("a timeout");
    let request = format!("GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n");
    stream.write_all(request.as_bytes()).expect("sends");
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    answer
}
