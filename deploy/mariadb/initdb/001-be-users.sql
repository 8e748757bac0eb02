-- The example dump of the platform's import guide, verbatim apart from two changes:
-- 1. The email shows as "[email protected]" on the scraped page (an email-obfuscation
--    artefact); the row uses testuser-bal@example.com instead.
-- 2. INSERT IGNORE instead of INSERT: the row puts NULL into the NOT NULL `gender` column,
--    which MariaDB refuses for a single-row INSERT in every sql_mode. IGNORE stores the
--    column's implicit default ('M', the first enum value) with warning 1048, as a dump
--    tool replaying this file non-strictly would. The CREATE TABLE is unchanged.
-- Note: the example row's bcrypt value is 57 characters, not 60; it is kept as the guide has it.
SET SQL_MODE = "NO_AUTO_VALUE_ON_ZERO";
START TRANSACTION;
SET time_zone = "+00:00";

CREATE TABLE `be_users` (
  `id` int(10) UNSIGNED NOT NULL,
  `first_name` varchar(255) COLLATE utf8_unicode_ci DEFAULT NULL,
  `last_name` varchar(255) COLLATE utf8_unicode_ci DEFAULT NULL,
  `username` varchar(255) COLLATE utf8_unicode_ci NOT NULL,
  `email` varchar(255) COLLATE utf8_unicode_ci NOT NULL,
  `password` varchar(60) COLLATE utf8_unicode_ci NOT NULL,
  `gender` enum('M','F') COLLATE utf8_unicode_ci NOT NULL,
  `birthday` datetime DEFAULT NULL,
  `accept_notifications` tinyint(1) DEFAULT NULL,
  `accept_sharing` tinyint(1) DEFAULT NULL,
  `accept_personal_data` tinyint(1) DEFAULT NULL,
  `remember_token` varchar(100) COLLATE utf8_unicode_ci DEFAULT NULL,
  `is_logged` tinyint(1) NOT NULL DEFAULT '0',
  `created_at` timestamp NULL DEFAULT NULL,
  `updated_at` timestamp NULL DEFAULT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8 COLLATE=utf8_unicode_ci;

INSERT IGNORE INTO `be_users` (`id`, `first_name`, `last_name`, `username`, `email`, `password`, `gender`, `birthday`, `accept_notifications`, `accept_sharing`, `accept_personal_data`, `remember_token`, `is_logged`, `created_at`, `updated_at`) VALUES
(28774, NULL, NULL, 'testuser-bal', 'testuser-bal@example.com', '$2y$10$fKm6UoynjcE3cDoM5oVm3.WHXWTIv5hhyohExw2t83pOGqCUXU', NULL, NULL, NULL, NULL, NULL, NULL, '0', NULL, NULL);

ALTER TABLE `be_users`
  ADD PRIMARY KEY (`id`),
  ADD UNIQUE KEY `be_users_username_unique` (`username`),
  ADD UNIQUE KEY `be_users_email_unique` (`email`);

ALTER TABLE `be_users`
  MODIFY `id` int(10) UNSIGNED NOT NULL AUTO_INCREMENT, AUTO_INCREMENT=28776;
COMMIT;
