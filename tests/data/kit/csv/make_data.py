import json, os
G='tests/data/kit/csv/good'; B='tests/data/kit/csv/bad'
def good(name, data, rows):
    open(f'{G}/{name}.csv','wb').write(data)
    json.dump(rows, open(f'{G}/{name}.json','w'), ensure_ascii=False, indent=1)
def bad(name, data, frag):
    open(f'{B}/{name}.csv','wb').write(data)
    open(f'{B}/{name}.expect','w').write(frag+'\n')
hdr='資産名,種別,機密性,所管課\n'
good('utf8-bom-crlf', ('\ufeff'+hdr+'住民基本台帳データ,電磁的記録,3A,市民課\n選挙人名簿,紙,2,選挙管理委員会事務局\n').replace('\n','\r\n').encode(),
     [[1,'資産名','種別','機密性','所管課'],[2,'住民基本台帳データ','電磁的記録','3A','市民課'],[3,'選挙人名簿','紙','2','選挙管理委員会事務局']])
good('utf8-lf-no-final-newline', (hdr+'庁内LAN設計書,電磁的記録,2,情報政策課').encode(),
     [[1,'資産名','種別','機密性','所管課'],[2,'庁内LAN設計書','電磁的記録','2','情報政策課']])
good('quoted', b'name,note,n\r\n"a,b","line1\r\nline2\nline3","say ""hi"""\r\n"",plain,""""\r\n"x"\r\n',
     [[1,'name','note','n'],[2,'a,b','line1\r\nline2\nline3','say "hi"'],[3,'','plain','"'],[4,'x']])
good('blank-lines-and-empty-fields', b'a,b,c\n\n,,\n1,,3,\n\r\n\rz\n',
     [[1,'a','b','c'],[3,'','',''],[4,'1','','3',''],[7,'z']])
good('lone-cr', b'a,b\r1,2\r3,4', [[1,'a','b'],[2,'1','2'],[3,'3','4']])
good('empty', b'', [])
good('bom-only', b'\xef\xbb\xbf', [])
good('spaces-kept', b' a , b \n" c ",d\n', [[1,' a ',' b '],[2,' c ','d']])
# CP932: NEC row 13 (①, ㈱, ≒), IBM extensions (髙 FBFC, 﨑 FAB1, ⅰ FA40, ￤ FA55),
# NEC-selected IBM extensions (纊 ED40, ⅰ EEEF, 髙 EEE0, 﨑 ED95), half-width katakana, ～ 8160, － 817C, \ 5C, ~ 7E.
cp = ('資産名,所管課,備考\r\n'.encode('cp932') +
      '①住民票,市民課,㈱髙島屋≒'.encode('cp932').replace(b'\xee\xe0', b'\xfb\xfc') + b',\xee\xe0\xed\x95\r\n' +
      '"山﨑ファイル, 2025",'.encode('cp932').replace(b'\xed\x95', b'\xfa\xb1') + b'\xed\x40\xee\xef\xfa\x40\xfa\x55,' + 'ｼｽﾃﾑ～－'.encode('cp932') + b'\\~\r\n')
open(f'{G}/cp932.csv','wb').write(cp)
json.dump([[1,'資産名','所管課','備考'],[2,'①住民票','市民課','㈱髙島屋≒','髙﨑'],[3,'山﨑ファイル, 2025','纊ⅰⅰ￤','ｼｽﾃﾑ～－\\~']],
          open(f'{G}/cp932.json','w'), ensure_ascii=False, indent=1)
# ---- bad ----
bad('unterminated-quote', b'a,b\n1,"abc\n2,3\n', '2 行目 2 列目で始まる引用符 (") が閉じられていません (EINVAL)')
bad('text-after-quote', b'a,b\n1,2\n"x"y,2\n', '3 行目 1 列目: 閉じ引用符 (") の後に文字があります (EINVAL)')
bad('quote-inside-field', b'a,b\n1,ab"c\n', '2 行目 2 列目: 引用符で囲まれていないフィールドの途中に引用符 (") があります (EINVAL)')
# neither: CP932 text with 0x85 0x40 (unassigned row) in row 3, column 2
d = hdr.encode('cp932') + '住民票,市民課,1,2\n'.encode('cp932') + b'x,'
bad('neither-utf8-nor-cp932', d + b'\x85\x40,1,2\n', f'3 行目 2 列目（オフセット {len(d)}）: UTF-8 でも Shift_JIS (CP932) でもないバイトがあります 0x85 (EINVAL)')
d = (hdr+'住民基本台帳データ,電磁的記録,3A,市民課\n選挙人名簿,紙,2,').encode()
bad('broken-utf8', d + b'\xff\xe9\x81\xb8\n', f'3 行目 4 列目（オフセット {len(d)}）: UTF-8 として正しくないバイトがあります 0xFF (EINVAL)')
d = b'\xef\xbb\xbf' + 'a,b\n'.encode() + b'1,'
bad('bom-then-cp932', d + '市民課\n'.encode('cp932'), f'2 行目 2 列目（オフセット {len(d)}）: UTF-8 として正しくないバイトがあります 0x8E (EINVAL)')
d = b'a,b\n"q\n,x",'
bad('nul', d + b'\x00\n', f'2 行目 2 列目（オフセット {len(d)}）: NUL 文字があります 0x00 (EINVAL)')
d = '名前,課\n'.encode('cp932') + '山'.encode('cp932')
bad('gaiji', d + b'\xf0\x40,' + '市民課\n'.encode('cp932'), f'2 行目 1 列目（オフセット {len(d)}）: Shift_JIS の外字（利用者定義文字 0xF040）は取り込めません (EINVAL)')
d = '名前,課\n山田,'.encode('cp932')
bad('truncated-cp932', d + b'\x82', f'2 行目 2 列目（オフセット {len(d)}）: UTF-8 でも Shift_JIS (CP932) でもないバイトがあります 0x82 (EINVAL)')
# limits (the test parses bad/ with max 4096 bytes, 10 rows, 8 fields, 64 bytes a field)
bad('too-many-fields', b'a,b\n1,2,3,4,5,6,7,8,9\n', '2 行目: 列が多すぎます（上限 8 列） (ELIMIT)')
bad('field-too-long', b'a,b\n1,2\n3,' + b'x'*65 + b'\n', '3 行目 2 列目: フィールドが長すぎます（上限 64 バイト） (ELIMIT)')
# 22 kanji: 44 bytes of CP932, 66 of UTF-8: the limit is on the converted field
bad('field-too-long-after-cp932', 'a,b\n1,"'.encode('cp932') + ('漢'*22).encode('cp932') + b'"\n', '2 行目 2 列目: フィールドが長すぎます（上限 64 バイト） (ELIMIT)')
bad('too-many-rows', b''.join(b'%d,x\n' % i for i in range(11)), 'CSV の行が多すぎます（上限 10 行、11 行目で超えました） (ELIMIT)')
bad('too-big', b'a,b\n' + b'x'*4093, 'CSV ファイルが大きすぎます（4097 バイト、上限 4096 バイト） (ELIMIT)')
