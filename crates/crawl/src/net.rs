//! Address safety: private, loopback and link-local addresses are refused unless allowed, both
//! for IP literals in URLs and for whatever a host name resolves to (checked in the resolver, so
//! a name cannot be re-pointed between the check and the connection).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// Whether an address must not be fetched from the public crawler.
pub fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => private_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return private_v4(v4);
            }
            let first = v6.segments()[0];
            v6.is_loopback()
                || v6.is_unspecified()
                || (first & 0xfe00) == 0xfc00 // unique local
                || (first & 0xffc0) == 0xfe80 // link-local
                || v6.is_multicast()
                || v6 == Ipv6Addr::LOCALHOST
        }
    }
}

fn private_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // shared address space
}

/// The error a refused address produces; found again in reqwest's error chain to classify it.
#[derive(Debug, thiserror::Error)]
#[error(
    "{host} resolves only to private or loopback addresses ({addrs}); set [crawl] allow_private = true only for tests and the demo"
)]
pub struct PrivateAddress {
    pub host: String,
    pub addrs: String,
}

/// The system resolver, filtered.
#[derive(Debug, Clone, Copy)]
pub struct GuardedResolver {
    pub allow_private: bool,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow = self.allow_private;
        let host = name.as_str().to_string();
        Box::pin(async move {
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let public: Vec<SocketAddr> = if allow {
                found.clone()
            } else {
                found
                    .iter()
                    .copied()
                    .filter(|a| !is_private(a.ip()))
                    .collect()
            };
            if public.is_empty() && !found.is_empty() {
                let addrs = found
                    .iter()
                    .map(|a| a.ip().to_string())
                    .collect::<Vec<_>>()
                    .join(", ");
                return Err(Box::new(PrivateAddress { host, addrs }) as _);
            }
            Ok(Box::new(public.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_ranges() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(is_private(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["1.1.1.1", "202.108.22.5", "2400:da00::6666"] {
            assert!(!is_private(ip.parse().unwrap()), "{ip}");
        }
    }
}
