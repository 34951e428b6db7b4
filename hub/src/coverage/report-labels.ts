/** Words of the reports, Vietnamese first (the plans' language), English for the same columns. */
export type ReportLang = 'vi' | 'en';

export const LABELS = {
  vi: {
    title: 'Báo cáo kết quả phong trào và độ phủ camera an ninh',
    area: 'Địa bàn', id: 'Mã', name: 'Tên', level: 'Cấp', period: 'Kỳ báo cáo', cutoff: 'Số liệu đến', generated: 'Lập lúc',
    coverageAt: 'Độ phủ đo lúc', notRecorded: 'chưa ghi nhận',
    households: 'Hộ', covered: 'có camera', percent: '%', target: 'chỉ tiêu %', needed: 'còn thiếu',
    urban: 'Hộ thành thị', rural: 'Hộ nông thôn', residentialAreas: 'Khu dân cư', agencies: 'Cơ quan, doanh nghiệp, trường học',
    tips: 'Tin báo của nhân dân', alerts: 'Cảnh báo', total: 'tổng', takenUp: 'đã tiếp nhận %', resolved: 'đã giải quyết %',
    ackMedian: 'tiếp nhận trung vị (phút)', ackP90: 'tiếp nhận p90 (phút)', resolveMedian: 'giải quyết trung vị (phút)', resolveP90: 'giải quyết p90 (phút)', overdue: 'quá hạn',
    class: 'Phân loại', rating: 'Xếp loại phong trào', recognised: 'Đạt "An toàn về ANTT"', assessed: 'đơn vị được đánh giá',
    trend: 'Độ phủ theo tháng', coverage: 'Độ phủ camera', response: 'Tiếp nhận và giải quyết', standing: 'Phân loại và xếp loại', units: 'Đơn vị trực thuộc',
    classes: { trong_diem_phuc_tap: 'trọng điểm phức tạp về ANTT', phuc_tap: 'phức tạp về ANTT', it_phuc_tap: 'ít phức tạp về ANTT' } as Record<string, string>,
    ratings: { tot: 'tốt', kha: 'khá', trung_binh: 'trung bình', yeu: 'yếu' } as Record<string, string>,
  },
  en: {
    title: 'Movement results and security camera coverage',
    area: 'Area', id: 'Id', name: 'Name', level: 'Level', period: 'Period', cutoff: 'Figures up to', generated: 'Generated',
    coverageAt: 'Coverage measured', notRecorded: 'not recorded',
    households: 'Households', covered: 'with a working camera', percent: '%', target: 'target %', needed: 'still needed',
    urban: 'Urban households', rural: 'Rural households', residentialAreas: 'Residential areas', agencies: 'Agencies, enterprises, schools',
    tips: 'Citizen tips', alerts: 'Alerts', total: 'total', takenUp: 'taken up %', resolved: 'resolved %',
    ackMedian: 'take-up median (min)', ackP90: 'take-up p90 (min)', resolveMedian: 'resolution median (min)', resolveP90: 'resolution p90 (min)', overdue: 'overdue',
    class: 'Class', rating: 'Movement rating', recognised: 'Recognised "An toàn về ANTT"', assessed: 'units assessed',
    trend: 'Coverage by month', coverage: 'Camera coverage', response: 'Take-up and resolution', standing: 'Class and rating', units: 'Units below',
    classes: { trong_diem_phuc_tap: 'key complex area', phuc_tap: 'complex', it_phuc_tap: 'less complex' } as Record<string, string>,
    ratings: { tot: 'good', kha: 'fair', trung_binh: 'average', yeu: 'weak' } as Record<string, string>,
  },
} as const;

/** Milliseconds as minutes with one decimal; empty when there is no value. */
export const minutes = (ms: number | null): string => (ms === null ? '' : (Math.round(ms / 6000) / 10).toString());
