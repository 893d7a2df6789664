# English — second language. Tone: calm and plain.

## Welcome

start-briefing =
    Hello. This is the bot of an independent newsroom. Here you can tell, anonymously, what you saw and went through in the army: why you left, refused to fight, or want to leave.

    <b>What is kept.</b> Every answer is encrypted the moment it arrives. Only the editors can read it — on their own computers, with their own keys. We do not keep your name, phone number, username or Telegram ID.

    <b>What Telegram sees.</b> Telegram knows your phone number and IP address and sees that you are writing to this bot; messages pass through its servers. At the end the bot deletes the conversation from this chat, but delete the chat on your side too.

    <b>How to stay safer.</b>
    • If you can, write from a separate account that is not tied to your main number.
    • Do not name people, unit numbers or places you do not want to reveal.
    • Turn on auto-delete in Telegram and delete this chat when you are done.

# Under the safety rules; the second one when the newsroom gave its own safer channel
# (SAFER_CHANNEL_TEXT_EN), which is put in as it is.
start-safer-channels = If you may be watched or your phone may be checked, Telegram is not the best way. A human rights group such as "Idite Lesom" (Get Lost) can help you find a safer one.
start-safer-channels-set = If you may be watched or your phone may be checked, Telegram is not the best way. A safer way to reach the newsroom: { $channel }
    A human rights group such as "Idite Lesom" (Get Lost) can help too.
privacy-safer-channel = <b>A safer way to reach the newsroom</b>
    { $channel }

start-choose-language = Language: /language

## Commands

help-text =
    What the bot can do:
    /start — the beginning and the safety rules
    /codename — read the editors' reply or add to your testimony with your codename
    /guidance — the newsroom's guidance: the law, safety, where to get help
    /subscribe — get the guidance in this chat (/unsubscribe to stop)
    /cancel — cancel the testimony (the bot asks first)
    /forget — delete the unfinished testimony and the conversation at once
    /privacy — what the bot keeps and what it does not
    /language — change the language
    /help — this help

    The bot answers only in a private chat.

privacy-text =
    <b>What the bot keeps</b>
    • Your answers and files — only encrypted. The keys to decrypt them are with the editors, not on the server.
    • While you are answering, the bot finds your unfinished testimony by a key worked out from your Telegram ID by a deliberately slow calculation. When the testimony is sent or cancelled, or after /forget, that key is deleted with the draft: after that nothing on the server connects you to the testimony.
    • Dates — to the day, without the time.
    • The language you choose — only in the bot's memory, not on disk.
    • In voice messages and audio the bot changes your voice (pitch and timbre) unless you chose to keep your real one. That makes it hard to recognise you by ear or by a casual comparison of voices, but it will not stop a determined forensic lab, does not change the words themselves and does not touch the copy Telegram keeps. Round video messages are not changed. Typing is the safest.

    <b>What the bot does not keep</b>
    • Your name, phone number, username, Telegram ID.
    • Message text in the server logs.

    <b>What the bot cannot hide</b>
    • Telegram sees that you are writing to the bot and knows your number and IP address.
    • Anyone who gets hold of your phone will see this chat until you delete it.

language-choose = Choose a language:
language-saved = Done: the bot now speaks English.

## Unclear input

unhandled-text = I only understand buttons and commands. To begin — /start, help — /help.
unhandled-button = This button no longer works. Press /start to continue.

## Language names (the same in every file)

language-button-ru = Русский
language-button-en = English
# A language named inside a sentence ("for readers in Russian"); the buttons above use its own name.
language-name-ru = Russian
language-name-en = English

## Interview questions

q-consent =
    Before we begin:
    • answers are encrypted at once, and only the editors can read them;
    • do not write your name, unit number, phone, or the names of people you do not want to reveal.
    Shall we start?
q-consent-help = You can skip any question except this one. If you answer "No", nothing is saved.
q-consent-short = Consent
q-consent-opt-yes = Yes, start
q-consent-opt-no = No

q-role = How did you serve?
q-role-help = Pick the closest one. If it changed, pick what it was at the time you will talk about.
q-role-short = Your role
q-role-opt-conscript = Conscript
q-role-opt-mobilised = Mobilised
q-role-opt-contract = Contract soldier
q-role-opt-officer = Officer
q-role-opt-volunteer = Volunteer (BARS and similar)
q-role-opt-other = Other

q-role_other = What exactly? A few words are enough.
q-role_other-help = For example: a private military company, a unit recruited from prisoners, the reserve. No unit number or name is needed.
q-role_other-short = Role in detail

q-branch = Which branch did you serve in?
q-branch-help = A general answer is enough; there is no need to name your unit.
q-branch-short = Branch
q-branch-opt-ground_forces = Ground forces
q-branch-opt-airborne = Airborne (VDV)
q-branch-opt-navy = Navy
q-branch-opt-air_force = Aerospace forces (air force, air defence)
q-branch-opt-rosgvardia = National Guard (Rosgvardia)
q-branch-opt-other = Other
q-branch-opt-prefer_not_to_say = I'd rather not say

q-service_year = In what year were you called up, mobilised or sent to the war?
q-service_year-help = Just the year, for example 2023. No exact date is needed.
q-service_year-short = Year

q-service_length = How long were you there?
q-service_length-help = Roughly. If you are still serving, how long it has been so far.
q-service_length-short = How long
q-service_length-opt-under_month = Less than a month
q-service_length-opt-months_1_6 = One to six months
q-service_length-opt-months_6_12 = Six months to a year
q-service_length-opt-over_year = More than a year

q-area = Where was it?
q-area-help = A region or a direction of the front is enough, for example "the Zaporizhzhia direction" or "a training ground in Siberia". Name exact places only if you decide to.
q-area-short = Where

q-witnessed = Which of these did you see or go through yourself?
q-witnessed-help = Tick everything that happened, or skip the question. Tell us about "other" and the details in the next question.
q-witnessed-short = What you saw
q-witnessed-opt-civilians = Violence against civilians
q-witnessed-opt-looting = Looting
q-witnessed-opt-prisoners = Cruelty to prisoners of war
q-witnessed-opt-own_abused = Abuse of own soldiers: beatings, "pits"
q-witnessed-opt-assaults = Assaults without preparation or cover
q-witnessed-opt-extortion = Extortion of money from soldiers
q-witnessed-opt-supplies = Lack of food, equipment, medical care
q-witnessed-opt-other = Other

q-story = Tell us what you saw and what you had to do.
q-story-help = This is the heart of it. What happened, what the orders and conditions were, how people were treated. Do not name anyone you do not want to reveal. A voice message is fine, but remember that a voice can be recognised.
q-story-short = Your story

q-departure = How did you leave or refuse to fight?
q-departure-help = Pick the closest one. You can give details in the next question if you want.
q-departure-short = How you left
q-departure-opt-refused_orders = Refused an order or wrote a refusal report
q-departure-opt-left_unit = Left the unit without leave (SOCh)
q-departure-opt-deserted_abroad = Escaped abroad
q-departure-opt-wounded_discharged = Wounded or discharged
q-departure-opt-still_serving = I am still serving
q-departure-opt-other = Other
q-departure-opt-prefer_not_to_say = I'd rather not say

q-departure_story = Tell us how it happened.
q-departure_story-help = What was the last straw, how you made up your mind, what happened next. Better not describe the route or the people who helped: it could put them in danger.
q-departure_story-short = How it happened

q-situation = Where are you now?
q-situation-help = No need to name the country. If you are in Russia or somewhere you could be handed back, you are not alone: groups such as "Idite Lesom" (Get Lost) help people leave and find a safe place.
q-situation-short = Where you are now
q-situation-opt-abroad_safe = Abroad, safe
q-situation-opt-russia_hiding = In Russia, hiding
q-situation-opt-russia_open = In Russia, not hiding
q-situation-opt-third_country_risk = In another country, could be handed back
q-situation-opt-prefer_not_to_say = I'd rather not say

q-materials = If you have photos, videos, voice messages or documents, send them here.
q-materials-help = You can send several. Send pictures as photos, not as files: that way the place and time they were taken are removed.
q-materials-short = Materials

q-originals = Do you have files the newsroom should get exactly as they are?
q-originals-help = Here files are kept as they are, with the date, the place they were taken and the phone model. That helps to verify them, but can also point to you. Send them as files, not as photos. If in doubt, skip this.
q-originals-short = Originals

q-publication = How may the newsroom use your story?
q-publication-help = Any publication will be anonymous. A paraphrase is safer than a quote: people can be recognised by the way they talk.
q-publication-short = Publication
q-publication-opt-quote = You may quote me
q-publication-opt-paraphrase = Paraphrase only
q-publication-opt-background_only = Background only, do not cite me
q-publication-opt-editors_only = Do not publish, editors only

q-contact_back = May the editors write to you if they have questions?
q-contact_back-help = Only through this bot. You will read their reply when you send the bot your codename phrase; the bot shows it to you at the end.
q-contact_back-short = Contact
q-contact_back-opt-yes = Yes
q-contact_back-opt-no = No

q-anything_else = Is there anything else you want to add?
q-anything_else-help = Anything that seems important and did not fit in the answers.
q-anything_else-short = Anything else

## Buttons under the briefing

start-button-begin = Begin my testimony
start-button-codename = I have a codename

## Interview

interview-text-hint = You can write several messages. When you are done, press "Next".
interview-media-hint = Send files one by one or as an album. When you are done, press "Next".
interview-year-hint = Write the year in digits.
interview-multi-hint = You can pick several options, then press "Done".
interview-already-answered = You have answered this question before. To keep that answer, press "Keep my answer". A new answer replaces it.
interview-media-warning =
    <b>Before you send files.</b>
    Photos and documents can carry hidden details: where and when a picture was taken, the phone model, the author's name. Send pictures as photos, not as files — Telegram then removes these details itself. The bot also removes them from files in common formats (JPG, PNG, MP4, PDF, Word, Excel), but not from every file: HEIC pictures and archives, for example, stay as they are. Make sure no faces, plates, tags or documents that identify you are in the picture.

interview-button-next = Next →
interview-button-done = Done
interview-button-back = ← Back
interview-button-skip = Skip
interview-button-cancel = Cancel
interview-button-submit = Send to the editors
interview-button-cancel-yes = Yes, delete everything
interview-button-cancel-no = No, continue

# Back, then Skip: an answer is not deleted without a second press
interview-button-keep = Keep my answer →
interview-button-keep-it = No, keep my answer →
interview-button-drop = Yes, delete the answer
interview-skip-confirm = Delete your answer to this question? It is saved and encrypted; a deleted answer cannot be brought back.
interview-skip-kept = Your answer is kept as it was.
interview-skip-dropped = The answer to this question is deleted.
# Under a question answered with buttons, when "Done" was pressed with nothing ticked
interview-chosen-none = nothing ticked
# Sending when every question was skipped
interview-empty-confirm = You skipped every question, so the editors would get an empty testimony. Send it anyway?
interview-button-submit-empty = Yes, send it
interview-button-back-to-review = No, back to my answers
# The review before sending: button labels and the explanation behind a button
interview-button-redo = ✎ { $number }. { $label }
interview-button-notice-info = ℹ️ What is the reply notice?
interview-button-got-it = Got it

interview-saved =
    Saved and encrypted. Messages: { $parts }, files: { $files }.
    You can add more or press "Next".

interview-review-title =
    <b>Check your answers.</b>
    They are already encrypted: only marks are shown here.
interview-review-answered = answered
interview-review-skipped = skipped
interview-review-files = { $files ->
    [one] { $files } file
   *[other] { $files } files
}
interview-review-text-files = { $files ->
    [one] text and { $files } file
   *[other] text and { $files } files
}
interview-review-hint =
    To change an answer, press its question below.
    All right? Press "Send to the editors".
interview-review-notice-explained = The bot can write to you here when the editors reply (without the reply itself — you read it with your codename). For that it remembers this chat's number in its memory only, never on disk, until the first reply. If the bot restarts before then, no message comes — so check for a reply with your codename now and then. This is off unless you turn it on.
interview-button-notice-off = 🔕 Tell me about a reply: no
interview-button-notice-on = 🔔 Tell me about a reply: yes

## Voice: disguised by default, and the source's choice

interview-voice-explained =
    <b>A voice can give you away.</b> So the bot changes the pitch and timbre of the voice in your recordings, to make you hard to recognise by ear. But Telegram keeps the original recording, and the words themselves stay yours: typing is the safest.
    If you want the editors to hear your real voice, press the button below: it applies to your next recordings; the ones already sent stay changed.
interview-voice-real-chosen = All right: your next recordings will keep your real voice. You can switch the change back on with the button below or in the list at the end.
interview-voice-disguise-chosen = All right: your voice will be changed again in the next recordings.
interview-voice-not-disguised = The bot could not change the voice in this recording (it could not read it), so it is stored as sent. If you do not want the editors to hear your voice, answer this question again — in text, or with a voice message recorded in Telegram.
interview-voice-too-long = This recording is longer than an hour: the bot cannot change the voice in it, so it is stored as sent. If you do not want the editors to hear your voice, answer this question again — in text or in shorter recordings.
interview-voice-video-note = The round video is stored as sent: its voice and face are not changed. If that is dangerous for you, answer the question again, in text or with a voice message.
interview-button-voice-keep-real = Keep my real voice
interview-button-voice-disguise = Change my voice again
interview-button-voice-disguised = 🎙 Voice in recordings: changed
interview-button-voice-real = 🎙 Voice in recordings: real

interview-stale-button = This button belongs to another step. Continue from the latest message.
# An interview button pressed when no draft is kept (lost in a crash, or expired)
interview-gone = This testimony is no longer here: it was not finished before the server failed or restarted, or it waited too long to be continued. Nothing of it was kept. To begin again — /start.

interview-busy = Your previous message is still being handled, so this one was not saved. Please send it again in a minute.
interview-resuming = You have an unfinished testimony. Let's continue where you stopped.
interview-help-in-progress = You are answering the questions now. To cancel and delete everything — /cancel; to delete at once, without questions — /forget.
interview-command-unknown = During the testimony only /help, /language, /cancel and /forget work. Answer the question or press a button under it.
interview-use-buttons = Choose an answer with the buttons under the question.
interview-please-answer = This message was not saved. Answer the question with text, a voice message or a file — or press a button under the question.
interview-media-text-not-expected = This question needs a file — a photo, video, voice message or document; this text was not saved. If you have no files, press "Skip" under the question; if you have sent them all, press "Next".
interview-media-not-expected = This question needs text or a button; the file was not saved. Photos, voice messages and documents can be sent in the question about materials.
# What the cleaner did with a file the source sent (one line after the file is saved).
interview-file-cleaned = Hidden data removed from the file: { $kinds }.
interview-file-cleaned-nothing = No hidden data was found in the file.
interview-file-not-fully-cleaned = Removed from the file: { $kinds }. But it still holds something the bot cannot remove: { $left }. If that could identify you, send a screenshot instead of the file.
interview-file-not-fully-cleaned-nothing-removed = The file still holds something the bot cannot remove: { $left }. If that could identify you, send a screenshot instead of the file.
interview-file-not-cleaned = The bot could not clean this file of hidden data (author, place, phone model): it is stored as sent.
interview-file-not-cleaned-too-complex = This file is too large or too complex to clean of hidden data safely (author, place, phone model): it is stored as sent.
interview-file-too-big = This file is larger than 20 MB: Telegram does not let bots download such files, and it was not saved. Send a smaller version (for example, a compressed video) or write in your answer that you have a large file — the editors will suggest a safe way to pass it on.
interview-edit-ignored = Edits are not applied: the answer was encrypted as it arrived. To replace an answer, answer the question again from the list at the end.

interview-error-text-empty = The answer is empty. Write some text or press "Skip".
interview-error-text-too-long = The answer to this question is too long; the last message was not saved. Continue in the next question or in "Anything else".
interview-error-text-not-expected = Choose an answer with the buttons under the question.
interview-error-year-invalid = Write the year in four digits, for example 2023.
interview-error-year-out-of-range = That year does not fit. Write a year from 1990 to this year.
interview-error-too-many-attachments = This question already has the maximum number of files; this file was not saved. Press "Next".
interview-error-submission-attachments = This testimony already has the maximum number of files; this file was not saved.

interview-limit-submissions = Several testimonies were already sent from this account today. Try again tomorrow, or add to your earlier testimony with your codename.
interview-consent-declined = All right. Nothing was saved and the conversation was deleted. If you change your mind, press /start.
interview-cancel-confirm = Delete everything you have answered? This cannot be undone.
interview-cancelled = The testimony was deleted, and so was the conversation in this chat. Delete the chat on your side too. To start again — /start.

## Receipt

receipt-final =
    <b>Thank you. Your testimony was received and encrypted.</b>
    The bot deleted the conversation from this chat. Delete the chat on your side too, and turn on auto-delete in Telegram: Settings → Privacy and Security → Auto-Delete Messages.
receipt-old-messages = Telegram does not let bots delete messages older than two days — delete them yourself together with the chat.
receipt-codename =
    Your codename:

    <code>{ $codename }</code>

    Write it down where nobody will find it. Only with it can you read the editors' reply or add to your testimony. It cannot be recovered: we do not keep it, and nobody knows it.

    When you have written it down, press the button — this message will be deleted.
receipt-button-written = Written down, delete it
receipt-check-prompt = Let's check your note: send the codename as you wrote it down. The bot deletes that message at once.
receipt-button-skip-check = Don't check
receipt-button-show-again = Show the codename again
receipt-gone = The codename is no longer even in the bot's memory. If you did not write it down, the editors still have your testimony — you just cannot read their reply.
receipt-checked = ✓ The codename is written down correctly.

## Coming back with the codename

codename-prompt = Send your codename. The bot deletes that message at once.
codename-not-found = Nothing was found for this codename. Check the words and their order and try again.
codename-too-many-attempts = Too many attempts. Try again in an hour.
codename-status = Testimony received on { $day }. Status: { $status }.
codename-status-note = Note from the editors: { $note }
codename-no-replies = No reply from the editors yet.
codename-reply = <b>Reply from the editors:</b>
codename-button-add = Add to my testimony
codename-button-done = Done, delete the conversation
codename-add-prompt = Send what you want to add: text, a voice message, a photo or a document. Everything is encrypted at once. When you are done, press "Done".
codename-added = Added and encrypted. You can send more or press "Done".
codename-limit-files = This testimony already has { $limit } added files, which is the limit. If you need to send more, write to the editors in text.
codename-limit-bytes = This testimony already has { $limit } MB of added files, which is the limit. If you need to send more, write to the editors in text.
codename-limit-messages = { $limit } messages have been added to this testimony today, which is the daily limit. Please continue tomorrow; nothing you already sent is lost.
codename-session-closed = Done, the conversation was deleted. Delete the chat on your side too.
codename-session-expired = The session has ended. Send your codename again: /codename

status-new = received, not read yet
status-in_review = the editors are reading it
status-verified = checked
status-published = published
status-rejected = closed

## Safety

safety-slow-down = Too many messages in a row. This message and any sent in the next minute were not saved — wait a minute and send them again.
safety-location-contact = Locations and contacts point to you or to other people. The bot did not save it and deleted the message. Describe the place in words, as vaguely as you are comfortable with.
safety-forgotten = Done: the unfinished testimony, your settings and your subscription to guidance were deleted, and so were the messages in this chat (except those older than two days). Delete the chat on your side too.
safety-storage-full = The bot's storage is full right now and files are not accepted. This file was not saved. Text answers work as usual; the editors know and are making room — please try sending the file later.

# A full disk (not the storage limit): nothing of this message was kept; earlier answers are safe.
safety-disk-full = The bot cannot store anything right now: the server has run out of space. This message was not saved; everything you sent before is safe. Please try sending it again later.
# When very many people write to the bot at once (admission.ts): the message is not lost.
admission-busy = Very many people are writing to the bot right now. Your message has arrived and I will answer it in a minute — no need to send it again.
admission-send-later = Very many people are writing to the bot right now, and this message was not saved. Please send it again in a few minutes.


## Decrypted by an editor (testimony.md)

export-title = Testimony #{ $number }
export-meta = Received: { $day } · language: { $locale } · questionnaire v{ $version } · status: { $status }
export-skipped = skipped
# The consent question is a briefing, not a question: editors see this short heading instead.
export-consent = Consent to the interview
export-attachment = file
export-followups = Additions from the source
export-replies = Replies from the editors
file-cleaned = cleaned: { $kinds }
file-cleaned-nothing = cleaned: no hidden data found
file-not-cleaned-unknown-format = not cleaned: unknown format
file-not-cleaned-unsupported-format = not cleaned: format not supported yet (HEIC)
file-not-cleaned-unparseable = not cleaned: the file could not be parsed, stored as sent
file-not-cleaned-original = not cleaned: original, as the question asks
file-not-cleaned-too-large = not cleaned: too large
file-voice-disguised = voice disguised
file-voice-kept-by-source = real voice: the source chose not to disguise it
file-voice-could-not-decode = not disguised: could not decode, stored as sent
file-voice-too-long = not disguised: longer than an hour, stored as sent
file-voice-video-note = not disguised: round video stored as sent
file-not-cleaned-too-complex = not cleaned: too large or too complex to clean safely; stored as sent
# A cleaned file that still holds something the cleaner could not take out.
file-not-fully-cleaned = not fully cleaned: left — { $left }; removed: { $kinds }
file-not-fully-cleaned-nothing-removed = not fully cleaned: left — { $left }
file-left-embedded-files = embedded files
file-left-timed-metadata = a sensor data track (it may hold GPS positions)
file-left-unknown-parts = parts the bot cannot check
file-kind-gps = GPS
file-kind-camera = camera
file-kind-dates = dates
file-kind-author = author
file-kind-software = software
file-kind-comments = comments
file-kind-history = edit history
file-kind-thumbnail = thumbnail
file-kind-xmp = XMP
file-kind-iptc = IPTC
file-kind-other = other

## Editors' chat

editors-notice = Testimony #{ $number } · questionnaire v{ $version } · answers: { $answers }, files: { $attachments }, additions: { $followups }, editors' replies: { $replies } · language: { $locale } · { $day } · status: { $status }
editors-batch-new = { $count ->
    [one] 1 new testimony: { $numbers }
   *[other] { $count } new testimonies: { $numbers }
}
editors-batch-addition = №{ $number }: the source added { $count ->
    [one] 1 message
   *[other] { $count } messages
}
editors-button-open = Open №{ $number }
editors-status-new = new
editors-status-in_review = in review
editors-status-verified = verified
editors-status-published = published
editors-status-rejected = rejected
editors-button-export = Export
editors-button-reply = Reply
editors-button-purge = Yes, delete for good
editors-button-keep = No, keep it
editors-button-send = Send
editors-button-cancel-reply = Cancel
editors-status-set = #{ $number }: status "{ $status }".
# /status with a note: the note itself is not repeated (it left the chat).
editors-status-set-note = #{ $number }: status "{ $status }", with a note for the source (they see it with their codename; your message with it was deleted from the chat).
editors-not-found = There is no testimony #{ $number } (it may have been deleted).
editors-export-caption = Testimony #{ $number }: encrypted archive{ $volumes ->
    [1] {""}
   *[other] , { $volumes } parts (join them in order)
}. Decrypt on your own computer: npm run editor -- decrypt FILE --key YOUR_KEY --out FOLDER
editors-reply-prompt = Reply to the source of #{ $number }: press "Reply" on this message and write the text. Before sending, the bot shows it back and asks whether to send it; it deletes your message from the chat. To cancel — /cancel.
editors-reply-text-only = A reply can only be text. Write it again, or /cancel.
editors-reply-stored = The reply to #{ $number } was encrypted and stored. The source reads it with their codename.
editors-storage-warning = Storage is { $percent }% full ({ $used } of { $limit } GB). When it is full, the bot stops accepting files: purge old testimonies or raise STORAGE_LIMIT_GB.
editors-reply-not-deleted = I could not delete your message with the reply: make the bot an admin allowed to delete messages, and delete it yourself.
editors-reply-cancelled = All right, the reply was cancelled.
editors-reply-confirm = The source of #{ $number } will get this reply. Check the text and press "Send" or "Cancel"; this message leaves the chat when you press one (or after 15 minutes):
editors-reply-expired = This reply is no longer waiting to be sent. Start again: /reply NUMBER.
editors-reply-elsewhere = The bot does not know this reply to №{ $number }: it has expired, or was started before a restart or on another instance of the bot. Nothing was sent to the source. Send /reply { $number } again.
editors-reply-not-yours = Only the editor who wrote this reply can send or cancel it.
editors-reply-anonymous = You are writing as the group (an anonymous admin), so the bot cannot tell who replies to the source. Reply from your own account: turn off "Remain anonymous" in your admin rights.
editors-purge-confirm = Delete testimony #{ $number } with all its files, additions and replies? It cannot be restored.
editors-purged = Testimony #{ $number } was deleted for good.
editors-keys = Editor keys the testimonies are encrypted to ({ $count }):

# --- The editors' key set (/keys, and the alarm at start when it changed) ---
editors-keys-in-use = in use: new testimonies are encrypted to it
editors-keys-waiting = waiting for an editor's confirmation: receives nothing yet
editors-keys-changed = ⚠️ The editors' keys changed since the bot last started. Check that every change is one you expected.
editors-keys-added = Added:
editors-keys-removed = Removed (new testimonies are no longer encrypted to it):
editors-keys-still-waiting = Still waiting for confirmation since an earlier start:
editors-keys-pending = Not used until an editor confirms it. Compare the fingerprint with its owner by voice, not in this chat, then press the button. If nobody expected this key, do not confirm it: someone with access to the server added it.
editors-keys-confirm-button = Confirm key …{ $key }
editors-key-confirmed = Key { $fingerprint } confirmed: new testimonies are encrypted to it too. Earlier ones reach it only if an editor grants them (npm run editor -- grant).
editors-key-already = This key is already confirmed.
editors-key-unknown = This key is no longer in the set.

editors-list-empty = No testimonies.
editors-list-line = #{ $number } · { $day } · { $status } · answers: { $answers }, files: { $attachments }, additions: { $followups }, editors' replies: { $replies }
editors-unknown-status = Unknown status. Possible: { $statuses }
editors-usage-export = Like this: /export NUMBER
editors-usage-reply = Like this: /reply NUMBER
editors-usage-purge = Like this: /purge NUMBER
editors-usage-status = Like this: /status NUMBER STATUS [note for the source]. Statuses: { $statuses }
editors-help =
    Commands of the editors' chat:
    /list [status] — testimonies: number, day, status, counts
    /export NUMBER — the encrypted archive of a testimony
    /status NUMBER STATUS [note] — change the status; the source sees the note
    /reply NUMBER — reply to the source (answering the bot's message, with a confirmation)
    /purge NUMBER — delete a testimony for good
    /keys — fingerprints of the editor keys
    No content of testimonies comes into this chat: decrypt on your own computer only.

source-reply-notice = The editors replied to your testimony. To read the reply, send your codename: /codename

## Guidance and subscription

subscribe-button = Subscribe to guidance
subscribe-done =
    You are subscribed to the newsroom's guidance: changes in the law, safer ways out, where to get help. It will come to this chat. Language: { $language } (change it with /language).

    What this means: to be able to write to you, the bot keeps a link to this chat — encrypted, without your name or phone number, and not connected to any testimony. The bot's messages stay visible in this chat until you delete it.

    To unsubscribe — /unsubscribe: the link is deleted at once.
subscribe-already = You are already subscribed. Language of the guidance: { $language } (change it with /language). To unsubscribe — /unsubscribe.
unsubscribe-done = You are unsubscribed: the link to this chat was deleted, and the bot will not write to you on its own again. You can read the guidance at any time — /guidance.
unsubscribe-none = You are not subscribed, there is nothing to delete. To subscribe — /subscribe.
guidance-none = The newsroom has not published any guidance yet. To get it when it appears — /subscribe.
guidance-fallback = There is no guidance in your language yet. Here it is in { $language }:

## Admins: guidance and broadcasts

admin-help =
    Admin commands:
    /guidance_set — a new version of the guidance for one language
    /broadcast — send the guidance or a one-off text to subscribers
    /broadcast_status — how the broadcast is going
    /broadcast_cancel — stop the broadcast
    /stats — counts, no content
admin-stats =
    Numbers only:
    Testimonies by status: { $submissions }
    Unfinished testimonies: { $drafts }
    Subscribers by language: { $subscribers }
    Broadcasts: { $broadcasts }
admin-guidance-choose = Which language is the new version of the guidance for? Next to each, the current version.
admin-guidance-prompt = Send the guidance for { $language } as one message. Formatting (bold, italics, links) is kept.
admin-guidance-preview = This is how readers in { $language } will see it. It will be version { $version }.
admin-guidance-published = Published: { $language }, version { $version }. Readers see it with /guidance; to send it to subscribers — /broadcast.
admin-text-only = This needs text (formatting is fine). Photos, files and stickers do not work here.
admin-stale = This button is out of date. Start again with the command.
admin-no-wizard = No wizard in progress (it may have expired or been started on another instance): start again with /broadcast or /guidance_set.
admin-cancelled = Cancelled, nothing was saved.
admin-button-cancel = Cancel
admin-button-publish = Publish
admin-button-send = Send
admin-button-guidance = Current guidance ({ $versions })
admin-button-one-off = One-off text
admin-button-skip-language = Skip this language
admin-broadcast-choose = What should be sent? Subscribers now: { $total }.
admin-broadcast-busy = A broadcast is already running. Wait for it to finish or stop it: /broadcast_cancel.
admin-broadcast-text-prompt = Send the text for subscribers in { $language }. If you skip the language, its subscribers get the text in another language.
admin-broadcast-no-text = No text was given, the broadcast is cancelled.
admin-broadcast-preview = { $language }, recipients: { $count }. They will get:
admin-broadcast-preview-fallback = { $language }, recipients: { $count }. There is no text in this language; they will get:
admin-broadcast-confirm = Recipients in all: { $total }. Send?
admin-broadcast-starting = The broadcast is starting, recipients: { $total }. This message will be updated.
admin-broadcast-none = There have been no broadcasts yet.
admin-broadcast-nothing-running = Nothing is being sent right now.
admin-progress-title = Broadcast #{ $id }: { $status ->
        [done] finished
        [cancelled] stopped
       *[running] running
    }
admin-progress-counts = Delivered: { $sent } of { $total } · not delivered: { $failed } · unsubscribed: { $unsubscribed } · still to send: { $remaining }
admin-progress-rate = Rate: { $rate } messages/s
admin-progress-paused = Telegram asked to wait: paused for { $seconds } more s.

## Review desk (npm run editor -- desk) and editors' notes

export-notes = Editors' notes
desk-title = Review desk
desk-skip-link = Skip to the content
desk-language = Language
desk-lock = Lock
desk-mode-database = Database
desk-mode-archives = Archives: { $count }
desk-read-only = Read only: the desk was opened with archive files. To set statuses and write notes and replies, open it on the database (--database-url or --data-dir).
desk-unlock-heading = Unlock the desk
desk-unlock-intro = Testimonies are decrypted here, on your computer. Your key and everything decrypted stay only in the memory of this desk and this page; closing the desk forgets them.
desk-key-file = Your private key file (.private.asc)
desk-key-choose = Choose a file…
desk-key-none = No file chosen
desk-key-preset = Key: { $file }
desk-passphrase = Passphrase of the key
desk-unlock = Unlock
desk-unlocking = Checking the key…
# The desk's session: a one-time launch code (the address printed in the terminal) opens it.
desk-launch-heading = Open the desk
desk-launch-intro = Paste the address the desk printed in its terminal, or only the code after "#launch=". Press Enter in that terminal for a new one: a code works once, for one minute.
desk-launch-code = Address or launch code
desk-launch-open = Open
desk-error-launch = This code is used, expired or wrong. Press Enter in the terminal where the desk runs for a new one.
desk-error-session = This page's session has ended: the desk was opened again elsewhere, or restarted. Everything decrypted was removed from this page. Press Enter in the terminal where the desk runs for a new address.
desk-unlocked-as = Key { $fingerprint }
desk-error-no-key = Choose your private key file.
desk-error-no-passphrase = Type the passphrase of the key.
desk-error-wrong-passphrase = Wrong passphrase for this key. Nothing was decrypted.
desk-error-not-a-key = This file is not an OpenPGP private key. Choose the .private.asc file made with "npm run editor -- keygen".
desk-error-not-for-key = This key does not open these testimonies. Your key: { $fingerprint }. They are encrypted to the key ids { $recipients }.
desk-error-locked = The desk is locked. Unlock it again.
desk-error-not-found = There is no testimony #{ $number } (it may have been deleted).
desk-error-read-only = The desk is read only: it was opened with archive files.
desk-error-empty = Write the text first.
desk-error-too-long = The text is too long: at most { $max } characters.
desk-error-folder = Give a folder on this computer, for example ~/secure/decrypted.
desk-error-save = Could not write to { $folder }: { $reason }
desk-error-damaged = This testimony could not be opened: { $reason }
desk-error-closed = The desk is closed. Start it again: npm run editor -- desk
desk-error-other = Something went wrong: { $reason }
desk-problems = Could not be read: { $list }
desk-inbox = Testimonies
desk-filter = Show
desk-filter-all = All
desk-inbox-empty = No testimonies here.
desk-keys-hint = Keys: j / k or ↑ / ↓ to move, Enter to open, Esc to come back to the list.
desk-col-number = No.
desk-col-day = Received
desk-col-language = Language
desk-col-version = Questionnaire
desk-col-status = Status
desk-col-answers = Answers
desk-col-files = Files
desk-col-followups = Additions
desk-col-replies = Replies
desk-col-notes = Notes
desk-open = Open testimony #{ $number }
desk-back = ← All testimonies
desk-meta = Received { $day } · language: { $locale } · questionnaire v{ $version }
desk-decrypting = Decrypting…
desk-answers = Answers
desk-thread = Conversation with the source
desk-from-source = Source
desk-from-editors = Editors
desk-thread-empty = No additions from the source and no replies yet.
desk-notes-private = Only editors read notes: they are encrypted to the editors' keys.
# The public note beside the status, as the source reads it with the codename
desk-public-note = Note for the source (they see it with the status):
desk-file-voice = Voice message
desk-file-audio = Audio
desk-file-video = Video
desk-file-video_note = Video message
desk-file-photo = Photo
desk-file-document = Document
desk-file-save = Save to disk
desk-file-photo-reencoded = Sent as a photo: Telegram re-encoded it, which drops its hidden data (GPS, camera).
desk-file-warning = Saving writes the decrypted file to your disk as plaintext.
desk-size-bytes = {$n} B
desk-size-kb = {$n} KB
desk-size-mb = {$n} MB
desk-work = Work
desk-status = Status
desk-status-set = Set status
desk-status-done = Status: { $status }.
desk-reply = Reply to the source
desk-reply-hint = Encrypted to the source's codename key and to the editors' keys; the source reads it with the codename.
desk-reply-send = Send reply
desk-reply-confirm-heading = The source of #{ $number } will get this reply:
desk-reply-confirm-notice = They read it with their codename. A reply sent from the desk sends no message to their Telegram, even if they asked to be told: for that, reply from the editors' chat (/reply).
desk-reply-confirm-send = Send
desk-reply-done = The reply was encrypted and stored.
desk-reply-notice = The source asked to be told about replies; only a reply from the editors' chat sends that notice.
desk-note = Private note
desk-note-add = Add note
desk-note-done = The note was encrypted and stored.
desk-save = Save decrypted copy…
desk-save-heading = Save a decrypted copy of #{ $number }
desk-save-warning = This writes the testimony and its files to disk as plaintext: a folder submission-{ $number } with testimony.md, attachments/ and meta.json. Use an encrypted disk and delete the copy when you are done.
desk-save-folder = Folder on this computer
desk-save-confirm = Write the plaintext copy
desk-cancel = Cancel
desk-save-done = Saved to { $folder }. This is plaintext.

## Demo (npm run demo): the page that plays the source, the editors and the admin

demo-title = Testimony bot — demo
demo-local-note = A local emulation of Telegram on this computer: nothing is sent to Telegram. The editor key is for the demo only.
demo-language = Language
demo-tour = Tour
demo-new-source = + Another source (new tab)
demo-pane-source = Source { $n }
demo-pane-source-hint = Private chat with the bot: a soldier who wants to tell what happened
demo-pane-editors = Editors' group
demo-pane-editors-hint = The newsroom's chat; the bot is an admin here
demo-pane-admin = Admin
demo-pane-admin-hint = Private chat with the bot: guidance and broadcasts
demo-you-type-as = You type as { $name }
demo-empty-source = No messages yet. Send /start to begin.
demo-empty-editors = New testimonies are announced here. Commands: /list, /keys.
demo-empty-admin = Admin commands: /admin, /guidance_set, /broadcast, /stats.
demo-message = Message
demo-send = Send
demo-attach = Attach
demo-attach-photo = Photo
demo-attach-document = File
demo-attach-sample-voice = Sample voice note (3 s of silence)
demo-attach-sample-photo = Sample photo as a file (GPS and camera in its EXIF)
demo-record = Record a voice note
demo-recording = Recording… press again to send
demo-no-microphone = No microphone: a sample voice note was sent instead.
demo-uploading = Sending the file…
demo-upload-failed = The file was not sent: { $reason }
demo-edit = Edit
demo-editing = Editing your message
demo-edited = edited
demo-cancel = Cancel
# Telegram's Reply in the emulated chats
demo-reply = Reply
demo-replying = Replying to:
demo-download = Download
demo-size-bytes = {$n} B
demo-size-kb = {$n} KB
demo-size-mb = {$n} MB
demo-ok = OK
demo-bot-label = bot
demo-disconnected = The connection to the demo is lost. Is `npm run demo` still running?
demo-starting = The bot is starting: its embedded database takes a few seconds. You can type already; the bot answers once it is ready.
demo-start-failed = The bot could not start; see the terminal where `npm run demo` runs.
demo-tour-step = { $n } of { $total }
demo-tour-back = Back
demo-tour-next = Next
demo-tour-skip = Skip the tour
demo-tour-done = Finish
demo-tour-welcome-title = Welcome
demo-tour-welcome = This page runs the real bot against a local emulation of Telegram. You play three people: a source (left), an editor in the editors' group (middle) and an admin (right). Type and press buttons as in Telegram. This short tour shows what protects the source; skip it whenever you like.
demo-tour-briefing-title = The briefing
demo-tour-briefing = In the source's chat, send /start. The briefing says plainly what is kept, what Telegram itself sees, and how to stay safer. Then press "{ start-button-begin }".
demo-tour-encryption-title = Encrypted on receipt
demo-tour-encryption = Answer a question or two. Each answer is encrypted with OpenPGP to the editors' public keys the moment it arrives; the server keeps only ciphertext, and text answers are padded so their length says less. Below: what the database holds for this source right now (sizes only — the demo cannot read it either).
demo-tour-stored-nothing = Nothing is stored for this source yet.
demo-tour-stored-draft = Interview in progress, encrypted parts: { $parts }. The last one ({ $kind }) is { $bytes } bytes of ciphertext.
demo-tour-stored-submission = Latest testimony #{ $number }, encrypted parts: { $parts }, { $bytes } bytes in all.
demo-kind-text = a text
# Answers of every kind are stored as "answer" parts (the kind is inside the ciphertext).
demo-kind-answer = an answer
demo-kind-choice = a choice
demo-kind-attachment = a file
demo-tour-key = Encrypted to the editors' key { $fingerprint }
demo-tour-wipe-title = The wipe
demo-tour-wipe = At the review, press "{ interview-button-submit }" and watch the source's chat: the bot deletes the whole interview — its questions and the source's answers — so a phone seized later shows almost nothing.
demo-tour-codename-title = The codename
demo-tour-codename = The source gets a codename of eight words, shown once. Only with it can they read the editors' reply or add to the testimony; the server keeps only a slow hash of it. After "{ receipt-button-written }" the bot asks to type it back once, to check the note.
demo-tour-editors-title = A notification without content
demo-tour-editors = In the editors' group the bot announces the testimony: a number, counts, language, day and status — never a word of the content, so a leaked editors' chat gives nothing away.
demo-tour-desk-title = Export and the review desk
demo-tour-desk = Press "{ editors-button-export }" under the notice: the bot sends the testimony as an encrypted archive, and the demo saves it as an editor would. Decrypt it on "your" computer — in another terminal, while the demo runs:
demo-tour-desk-passphrase = The desk asks for the demo key's passphrase: { $passphrase }
demo-tour-desk-missing = The review desk is not in this checkout yet; decrypt the archive with the editor tool instead:
demo-tour-broadcast-title = Guidance and a broadcast
demo-tour-broadcast = The source sends /subscribe (or presses the button under the briefing). The admin sends /guidance_set to write the newsroom's guidance, then /broadcast to send it to every subscriber: it arrives in the source's chat. Subscribers are stored sealed with the server key and never linked to testimonies.
demo-tour-end-title = That is all
demo-tour-end = Open another source in a new tab with the link at the top. When you stop the demo (Ctrl+C in its terminal), its temporary folder — database, keys, archives — is deleted.
