import type { AgentConfig } from '@khoa/protocol';
import { ADMIN_USER, AGENT_TARBALL } from './first-boot.ts';

/**
 * The installer's README.txt for an agent bundle: Vietnamese first (the installers'
 * language), English after. Names the device and household but never the password.
 */
export function agentReadme(config: AgentConfig): string {
  const host = `khoa-${config.deviceId.replace(/_/g, '-')}`;
  return `Khoa — bộ cài đặt edge agent / edge agent install bundle
Thiết bị / device: ${config.deviceId}    Hộ / household: ${config.householdId}

=== Tiếng Việt ===
Thư mục này chứa mật khẩu riêng của thiết bị (khoa/agent.json). Không gửi qua mạng xã hội,
không chép vào máy khác; xóa khỏi máy tính sau khi đã chép vào thẻ nhớ.

1. Ghi ảnh Raspberry Pi OS Lite (bản Trixie trở lên, có cloud-init) vào thẻ nhớ bằng
   Raspberry Pi Imager, KHÔNG bật tùy chỉnh hệ điều hành (OS customisation) trong Imager.
2. Cắm lại thẻ; mở phân vùng "bootfs". Chép TẤT CẢ nội dung thư mục này vào gốc phân vùng đó
   (ghi đè user-data và meta-data có sẵn).
3. Chép tệp phần mềm agent ${AGENT_TARBALL} (do quản trị viên cung cấp, tạo bằng
   git archive --format=tar.gz -o ${AGENT_TARBALL} <phiên bản>) vào thư mục khoa/.
4. Cắm thẻ vào Pi, nối mạng dây (Ethernet), cấp điện. Lần khởi động đầu mất 5–15 phút
   (cài Node.js và agent). Pi tự xóa khoa/agent.json khỏi thẻ sau khi cài.
5. Kiểm tra: ssh ${ADMIN_USER}@${host}.local (chỉ đăng nhập bằng khóa SSH, không có mật khẩu),
   rồi: systemctl status khoa-agent. Trên bảng điều khiển của xã, thiết bị hiện "online".
Mất thẻ hoặc mất thiết bị: báo công an xã thu hồi ngay: khoa device revoke --device ${config.deviceId}

=== English ===
This folder holds the device's own password (khoa/agent.json). Do not send it through chat
apps or copy it elsewhere; delete it from your computer once it is on the SD card.

1. Write Raspberry Pi OS Lite (Trixie or newer, with cloud-init) to the SD card with
   Raspberry Pi Imager, WITHOUT Imager's OS customisation.
2. Re-insert the card and open the "bootfs" partition. Copy EVERYTHING in this folder to the
   root of that partition (replacing its user-data and meta-data).
3. Copy the agent software ${AGENT_TARBALL} (from your administrator, made with
   git archive --format=tar.gz -o ${AGENT_TARBALL} <release tag>) into the khoa/ folder.
4. Put the card in the Pi, plug in Ethernet and power. The first boot takes 5–15 minutes
   (installs Node.js and the agent). The Pi deletes khoa/agent.json from the card after install.
5. Check: ssh ${ADMIN_USER}@${host}.local (SSH key only, no password exists), then
   systemctl status khoa-agent. The commune console shows the device online.
Lost card or device: have the commune revoke it at once: khoa device revoke --device ${config.deviceId}
Install log on the Pi: /var/log/cloud-init-output.log
`;
}

/** README.txt for an ESP32 sensor bundle. */
export function sensorReadme(o: { deviceId: string; householdId: string; kind: string }): string {
  return `Khoa — cảm biến ESP32 / ESP32 sensor bundle
Thiết bị / device: ${o.deviceId} (${o.kind})    Hộ / household: ${o.householdId}

=== Tiếng Việt ===
secrets.yaml chứa mật khẩu MQTT, Wi-Fi và OTA của thiết bị: không gửi, không chép đi nơi khác.
1. Nếu hộ đổi mật khẩu Wi-Fi: sửa dòng wifi_password trong secrets.yaml rồi nạp lại.
2. Nạp: esphome run ${o.deviceId}.yaml (cắm ESP32 qua USB lần đầu).
3. Cảm biến cửa (reed): GPIO theo tệp YAML, một chân nối GND. Chống tháo (tamper) tương tự.
4. Mở/đóng cửa thử: bảng điều khiển của xã hiện sự kiện.
Mất thiết bị: khoa device revoke --device ${o.deviceId}

=== English ===
secrets.yaml holds the device's MQTT, Wi-Fi and OTA passwords: never send or copy it around.
1. If the household changes its Wi-Fi password: edit wifi_password in secrets.yaml, flash again.
2. Flash: esphome run ${o.deviceId}.yaml (USB for the first flash).
3. Wire the reed switch and tamper switch to the GPIOs named in the YAML, other leg to GND.
4. Open and close the door: the commune console shows the events.
Lost device: khoa device revoke --device ${o.deviceId}
`;
}
