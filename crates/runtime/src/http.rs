//! A small, defensive HTTP/1.1 server for read-only endpoints (Prometheus metrics, the JSON
//! API): GET and HEAD only, no request bodies, bounded request heads, timeouts on every read,
//! and a cap on concurrent connections. It is hand-written rather than a framework because
//! it needs so little, and so it adds nothing to the build of the controller.

use std::future::Future;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tracing::debug;

/// Longest request head (request line and headers) accepted.
const MAX_HEAD: usize = 16 * 1024;
/// Connections served at once; more wait to be accepted.
const MAX_CONNECTIONS: usize = 64;
/// How long a client may take to send a request, and keep an idle connection open.
const READ_TIMEOUT: Duration = Duration::from_secs(10);
/// Requests served on one connection before it is closed.
const MAX_REQUESTS: usize = 1000;

/// A parsed request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// `GET` or `HEAD`.
    pub method: String,
    /// The path, without the query.
    pub path: String,
    /// The query string (after `?`), possibly empty.
    pub query: String,
}

/// A response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// The `Content-Type`.
    pub content_type: &'static str,
    /// The body.
    pub body: Vec<u8>,
}

impl Response {
    /// 200 with a body.
    pub fn ok(content_type: &'static str, body: impl Into<Vec<u8>>) -> Response {
        Response {
            status: 200,
            content_type,
            body: body.into(),
        }
    }

    /// An error status with a one-line text body.
    pub fn error(status: u16, text: &str) -> Response {
        Response {
            status,
            content_type: "text/plain; charset=utf-8",
            body: format!("{text}\n").into_bytes(),
        }
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        431 => "Request Header Fields Too Large",
        503 => "Service Unavailable",
        _ => "Error",
    }
}

/// Serves `handler` on `listener` until the task is dropped. Each connection is its own task;
/// a misbehaving client only holds up itself.
pub async fn serve<F, Fut>(listener: TcpListener, handler: F)
where
    F: Fn(Request) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Response> + Send + 'static,
{
    let permits = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    loop {
        let Ok(permit) = permits.clone().acquire_owned().await else {
            return;
        };
        let stream = match listener.accept().await {
            Ok((s, _)) => s,
            Err(e) => {
                debug!("http accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let handler = handler.clone();
        tokio::spawn(async move {
            if let Err(e) = connection(stream, handler).await {
                debug!("http connection ended: {e}");
            }
            drop(permit);
        });
    }
}

async fn connection<F, Fut>(mut stream: TcpStream, handler: F) -> io::Result<()>
where
    F: Fn(Request) -> Fut,
    Fut: Future<Output = Response>,
{
    let mut buf: Vec<u8> = Vec::with_capacity(1024);
    for _ in 0..MAX_REQUESTS {
        let head = match read_head(&mut stream, &mut buf).await? {
            Head::Complete(n) => n,
            Head::Closed => return Ok(()),
            Head::TooLarge => {
                write(
                    &mut stream,
                    &Response::error(431, "request head too large"),
                    false,
                    false,
                )
                .await?;
                return Ok(());
            }
        };
        let text = String::from_utf8_lossy(&buf[..head]).into_owned();
        buf.drain(..head);
        let (req, keep_alive, has_body) = match parse(&text) {
            Some(p) => p,
            None => {
                write(
                    &mut stream,
                    &Response::error(400, "bad request"),
                    false,
                    false,
                )
                .await?;
                return Ok(());
            }
        };
        if has_body || !matches!(req.method.as_str(), "GET" | "HEAD") {
            write(
                &mut stream,
                &Response::error(405, "only GET and HEAD are served"),
                false,
                false,
            )
            .await?;
            return Ok(());
        }
        let head_only = req.method == "HEAD";
        let resp = handler(req).await;
        write(&mut stream, &resp, keep_alive, head_only).await?;
        if !keep_alive {
            return Ok(());
        }
    }
    Ok(())
}

enum Head {
    /// The head ends after this many bytes of the buffer.
    Complete(usize),
    /// The client closed the connection before sending a request.
    Closed,
    TooLarge,
}

async fn read_head(stream: &mut TcpStream, buf: &mut Vec<u8>) -> io::Result<Head> {
    loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            return Ok(Head::Complete(i + 4));
        }
        if buf.len() > MAX_HEAD {
            return Ok(Head::TooLarge);
        }
        let mut chunk = [0u8; 4096];
        let n = tokio::time::timeout(READ_TIMEOUT, stream.read(&mut chunk))
            .await
            .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "request not sent in time"))??;
        if n == 0 {
            return Ok(Head::Closed);
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// The request, whether the connection may be kept open, and whether a body follows.
fn parse(head: &str) -> Option<(Request, bool, bool)> {
    let mut lines = head.split("\r\n");
    let mut parts = lines.next()?.split(' ');
    let (method, target, version) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || !version.starts_with("HTTP/1.") || !target.starts_with('/') {
        return None;
    }
    let mut keep_alive = version == "HTTP/1.1";
    let mut has_body = false;
    for line in lines.filter(|l| !l.is_empty()) {
        let (name, value) = line.split_once(':')?;
        let value = value.trim();
        if name.eq_ignore_ascii_case("connection") {
            if value.eq_ignore_ascii_case("close") {
                keep_alive = false;
            } else if value.eq_ignore_ascii_case("keep-alive") {
                keep_alive = true;
            }
        } else if name.eq_ignore_ascii_case("content-length") {
            has_body |= value != "0";
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            has_body = true;
        }
    }
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    Some((
        Request {
            method: method.to_string(),
            path: path.to_string(),
            query: query.to_string(),
        },
        keep_alive,
        has_body,
    ))
}

async fn write(
    stream: &mut TcpStream,
    resp: &Response,
    keep_alive: bool,
    head_only: bool,
) -> io::Result<()> {
    let head = format!(
        "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: {}\r\n\r\n",
        resp.status,
        reason(resp.status),
        resp.content_type,
        resp.body.len(),
        if keep_alive { "keep-alive" } else { "close" }
    );
    stream.write_all(head.as_bytes()).await?;
    if !head_only {
        stream.write_all(&resp.body).await?;
    }
    stream.flush().await
}

/// `host:port`, with an IPv6 host in brackets (`[::]:9302`).
pub fn host_port(host: &str, port: impl std::fmt::Display) -> String {
    if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// Fetches `path` from an HTTP server at `addr` (for `sluice show` and tests): the status
/// and the body.
///
/// # Errors
/// If the server cannot be reached or its answer is not HTTP.
pub async fn get(addr: &str, path: &str) -> io::Result<(u16, Vec<u8>)> {
    let mut stream = TcpStream::connect(addr).await?;
    let req = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(req.as_bytes()).await?;
    let mut data = Vec::new();
    stream.read_to_end(&mut data).await?;
    let bad = || io::Error::new(io::ErrorKind::InvalidData, "not an HTTP response");
    let end = data
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(bad)?;
    let head = std::str::from_utf8(&data[..end]).map_err(|_| bad())?;
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(bad)?;
    Ok((status, data[end + 4..].to_vec()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_request_heads() {
        let (r, keep, body) = parse("GET /metrics?name[]=x HTTP/1.1\r\nHost: a\r\n\r\n").unwrap();
        assert_eq!(
            (r.path.as_str(), r.query.as_str(), keep, body),
            ("/metrics", "name[]=x", true, false)
        );
        let (_, keep, _) = parse("GET / HTTP/1.0\r\n\r\n").unwrap();
        assert!(!keep);
        let (_, keep, body) =
            parse("POST / HTTP/1.1\r\nConnection: close\r\nContent-Length: 3\r\n\r\n").unwrap();
        assert!(!keep && body);
        assert!(parse("GET\r\n\r\n").is_none());
        assert!(parse("GET http://x/ HTTP/1.1\r\n\r\n").is_none());
        assert!(parse("GET / HTTP/1.1\r\nno colon here\r\n\r\n").is_none());
    }

    #[tokio::test]
    async fn serves_get_and_refuses_the_rest() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        tokio::spawn(serve(listener, |req: Request| async move {
            Response::ok("text/plain", format!("you asked for {}", req.path))
        }));
        let (status, body) = get(&addr, "/x").await.unwrap();
        assert_eq!((status, body.as_slice()), (200, &b"you asked for /x"[..]));

        // A POST is refused; an oversized head is refused; a silent client is cut off.
        let mut s = TcpStream::connect(&addr).await.unwrap();
        s.write_all(b"POST / HTTP/1.1\r\nContent-Length: 2\r\n\r\nhi")
            .await
            .unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).await.unwrap();
        assert!(out.starts_with("HTTP/1.1 405"), "{out}");

        let mut s = TcpStream::connect(&addr).await.unwrap();
        let huge = format!("GET / HTTP/1.1\r\nX: {}\r\n\r\n", "a".repeat(MAX_HEAD * 2));
        let _ = s.write_all(huge.as_bytes()).await;
        let mut out = Vec::new();
        let _ = s.read_to_end(&mut out).await;
        assert!(out.starts_with(b"HTTP/1.1 431"));
    }
}
