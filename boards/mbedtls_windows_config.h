/* mbedtls_windows_config.h — the agent's mbedTLS configuration
 * (mbedtls_agent_config.h, every choice explained there) for mingw-w64:
 * mbedTLS 2.28 requires its platform layer on Windows (check_config.h),
 * which it uses for snprintf/vsnprintf there (the C runtime's _snprintf
 * does not terminate a cut string). Set before the shared header, whose
 * last line is the check. */
#ifndef MONBOT_MBEDTLS_WINDOWS_CONFIG_H
#define MONBOT_MBEDTLS_WINDOWS_CONFIG_H
#define MBEDTLS_PLATFORM_C
#include "boards/mbedtls_agent_config.h"
#endif
