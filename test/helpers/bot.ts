import type { UserFromGetMe } from "grammy/types";

/** getMe result for tests that build a bot without a getMe call. */
export const BOT_INFO: UserFromGetMe = {
  id: 100,
  is_bot: true,
  first_name: "Testimony",
  username: "testimony_bot",
  can_join_groups: true,
  can_read_all_group_messages: false,
  supports_inline_queries: false,
  can_connect_to_business: false,
  has_main_web_app: false,
  has_topics_enabled: false,
  allows_users_to_create_topics: false,
};
