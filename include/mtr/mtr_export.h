/* SPDX-License-Identifier: BSD-3-Clause */
/** @file
 * Symbol export macro: the library builds with hidden visibility. */
#ifndef MTR_EXPORT_H
#define MTR_EXPORT_H
/** Marks a function of the public interface (default visibility). */
#define MTR_API __attribute__((visibility("default")))
#endif
