// Whether this program (and, in a sanitized build, every program the tests
// start) is built with AddressSanitizer.
#pragma once

namespace tt {

constexpr bool kAddressSanitizer =
#if defined(__SANITIZE_ADDRESS__)
    true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
    true;
#else
    false;
#endif
#else
    false;
#endif

// Why a test of the fixture whose repair makes Kyoto Cabinet throw
// std::bad_alloc cannot run under AddressSanitizer: its operator new reports
// the huge request (allocation-size-too-big) and aborts the program instead
// of throwing, whatever allocator_may_return_null says.
inline constexpr const char kNoBadAllocUnderAsan[] =
    "AddressSanitizer aborts on the fixture's huge allocation instead of throwing "
    "std::bad_alloc; the plain build runs this test";

}  // namespace tt
