//! Opening the socket: the URL from the REST base, the session cookie, REST's TLS trust.

use std::sync::Arc;

use ibkr_gen::Secret;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::{self, client::IntoClientRequest};

/// Any byte stream the socket can run over (plain TCP or TLS).
pub(crate) trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// An open WebSocket.
pub(crate) type Socket = WebSocketStream<Box<dyn Io>>;

/// Why a connection attempt failed.
#[derive(Debug)]
pub(crate) enum ConnectError {
    /// The upgrade was answered with this HTTP status (401, 403, ...).
    Refused(u16),
    /// Anything else; the text names no secret.
    Failed(String),
}

/// `https://host:port/v1/api` → `wss://host:port/v1/api/ws` (`http` → `ws`).
pub(crate) fn socket_url(base: &str) -> Result<url::Url, String> {
    let mut url = url::Url::parse(base).map_err(|e| format!("bad base URL: {e}"))?;
    let scheme = match url.scheme() {
        "https" => "wss",
        "http" => "ws",
        other => return Err(format!("unsupported scheme {other}")),
    };
    url.set_scheme(scheme)
        .map_err(|()| "cannot switch the URL to a WebSocket scheme".to_string())?;
    let path = format!("{}/ws", url.path().trim_end_matches('/'));
    url.set_path(&path);
    url.set_query(None);
    Ok(url)
}

/// Open the socket, authenticated with `Cookie: api={"session":..}` (and `?oauth_token=`
/// when the login is OAuth). Errors never contain the session id, the token or the URL's
/// query.
pub(crate) async fn connect(
    url: &url::Url,
    session: &Secret,
    token: Option<&Secret>,
    tls: Option<Arc<rustls::ClientConfig>>,
    user_agent: &str,
    local_address: Option<std::net::IpAddr>,
) -> Result<Socket, ConnectError> {
    let failed =
        |what: &str, e: &dyn std::fmt::Display| ConnectError::Failed(format!("{what}: {e}"));
    let host = url
        .host_str()
        .ok_or_else(|| ConnectError::Failed("the URL has no host".into()))?
        .to_string();
    let port = url
        .port_or_known_default()
        .ok_or_else(|| ConnectError::Failed("the URL has no port".into()))?;
    let mut target = url.clone();
    if let Some(token) = token {
        target
            .query_pairs_mut()
            .append_pair("oauth_token", token.expose());
    }
    let mut request = target
        .as_str()
        .into_client_request()
        .map_err(|e| failed("bad request", &e))?;
    let cookie = format!(r#"api={{"session":"{}"}}"#, session.expose());
    let headers = request.headers_mut();
    headers.insert(
        tungstenite::http::header::COOKIE,
        cookie
            .parse()
            .map_err(|_| ConnectError::Failed("the session id is not header text".into()))?,
    );
    if let Ok(ua) = user_agent.parse() {
        headers.insert(tungstenite::http::header::USER_AGENT, ua);
    }
    let host_for_tcp = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    let tcp = tcp_connect(&host_for_tcp, port, local_address)
        .await
        .map_err(|e| failed("connect", &e))?;
    let _ = tcp.set_nodelay(true);
    let io: Box<dyn Io> = if url.scheme() == "wss" {
        let config = match tls {
            Some(c) => c,
            None => Arc::new(
                crate::tls::client_config(&crate::tls::TlsTrust::default())
                    .map_err(|e| failed("TLS", &e))?,
            ),
        };
        // The socket is HTTP/1.1 only, whatever REST negotiates.
        let mut config = (*config).clone();
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        let name = rustls_pki_types::ServerName::try_from(host_for_tcp)
            .map_err(|e| failed("TLS server name", &e))?;
        let stream = tokio_rustls::TlsConnector::from(Arc::new(config))
            .connect(name, tcp)
            .await
            .map_err(|e| failed("TLS handshake", &e))?;
        Box::new(stream)
    } else {
        Box::new(tcp)
    };
    match tokio_tungstenite::client_async(request, io).await {
        Ok((socket, _)) => Ok(socket),
        Err(tungstenite::Error::Http(resp)) => Err(ConnectError::Refused(resp.status().as_u16())),
        Err(e) => Err(failed("WebSocket handshake", &e)),
    }
}

/// The addresses to connect to for `host:port`. A localhost name is this machine, 127.0.0.1
/// then ::1 (RFC 6761), never what a resolver says: the TLS verifier trusts the gateway's
/// self-signed certificate for that name, so the name must not lead anywhere else (the REST
/// client pins it the same way, `tls::pin_loopback`).
async fn remote_addrs(host: &str, port: u16) -> std::io::Result<Vec<std::net::SocketAddr>> {
    if crate::tls::is_localhost_name(host) {
        return Ok(vec![
            (std::net::Ipv4Addr::LOCALHOST, port).into(),
            (std::net::Ipv6Addr::LOCALHOST, port).into(),
        ]);
    }
    Ok(tokio::net::lookup_host((host, port)).await?.collect())
}

/// Connect to `host:port` (see [`remote_addrs`]), from `local` when given (the first
/// address of the same family).
async fn tcp_connect(
    host: &str,
    port: u16,
    local: Option<std::net::IpAddr>,
) -> std::io::Result<TcpStream> {
    let remotes = remote_addrs(host, port).await?;
    let Some(local) = local else {
        return TcpStream::connect(remotes.as_slice()).await;
    };
    let remote = remotes
        .into_iter()
        .find(|a| a.is_ipv4() == local.is_ipv4())
        .ok_or_else(|| {
            std::io::Error::new(
                std::io::ErrorKind::AddrNotAvailable,
                format!("{host} has no address of the local address {local}'s family"),
            )
        })?;
    let socket = if local.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    socket.bind((local, 0).into())?;
    socket.connect(remote).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_localhost_name_is_this_machine_whatever_a_resolver_says() {
        for host in ["localhost", "LOCALHOST.", "gateway.localhost"] {
            let addrs = remote_addrs(host, 5000).await.unwrap();
            assert_eq!(
                addrs,
                vec![
                    std::net::SocketAddr::from((std::net::Ipv4Addr::LOCALHOST, 5000)),
                    std::net::SocketAddr::from((std::net::Ipv6Addr::LOCALHOST, 5000)),
                ],
                "{host}"
            );
        }
        // An IP literal is itself.
        let literal = remote_addrs("127.0.0.1", 5000).await.unwrap();
        assert_eq!(
            literal,
            vec![std::net::SocketAddr::from(([127, 0, 0, 1], 5000))]
        );
    }

    #[test]
    fn the_socket_url_follows_the_rest_base() {
        assert_eq!(
            socket_url("https://localhost:5000/v1/api")
                .unwrap()
                .as_str(),
            "wss://localhost:5000/v1/api/ws"
        );
        assert_eq!(
            socket_url("http://127.0.0.1:8080/v1/api/")
                .unwrap()
                .as_str(),
            "ws://127.0.0.1:8080/v1/api/ws"
        );
        assert!(socket_url("ftp://x/v1/api").is_err());
    }
}
