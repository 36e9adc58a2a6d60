/** @file
 * Symbol export macro: the library builds with hidden visibility. */
#ifndef MTR_EXPORT_H
#define MTR_EXPORT_H
#define MTR_API __attribute__((visibility("default")))
#endif
