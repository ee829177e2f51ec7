/* mbedtls_host_config.h — what the native builds (server, agent, tools
 * and tests on this machine's C library) add to mbedTLS 2.28's default
 * configuration (MBEDTLS_USER_CONFIG_FILE). They link mbedTLS built from
 * Debian's source package (tools/build-mbedtls.sh, build/mbedtls-host)
 * rather than Debian's binary package, for one option Debian leaves off:
 *
 *   SSL_VARIABLE_BUFFER_LENGTH  a session's two record buffers (16 KiB
 *       and more each) shrink after the handshake to the maximum fragment
 *       length the peer negotiated: our agents ask for 2 KiB
 *       (conn_tls_client_new), so an idle agent's session on the server
 *       costs about 5 KiB of buffers instead of 33; a peer that negotiates
 *       none (the original agent, browsers) keeps the full ones.
 *
 * and Debian's own additions that matter to us (its package enables
 * threading: the random generator's lock). Make `HOST_MBEDTLS=0` links
 * Debian's binary package instead, without this. */
#define MBEDTLS_SSL_VARIABLE_BUFFER_LENGTH
#define MBEDTLS_THREADING_C
#define MBEDTLS_THREADING_PTHREAD
