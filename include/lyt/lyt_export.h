/* SPDX-License-Identifier: BSD-3-Clause */
/** @file
 * Symbol export macro: the library builds with hidden visibility. */
#ifndef LYT_EXPORT_H
#define LYT_EXPORT_H
/** Marks a function of the public interface (default visibility). */
#define LYT_API __attribute__((visibility("default")))
#endif
