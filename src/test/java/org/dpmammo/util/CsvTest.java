package org.dpmammo.util;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class CsvTest {
    @Test
    void quotedFieldsKeepCommasAndEscapedQuotes() {
        assertEquals(List.of("a", "b,c", "say \"hi\"", ""), Csv.split("a,\"b,c\",\"say \"\"hi\"\"\","));
        assertEquals(List.of(""), Csv.split(""));
    }

    @Test
    void anUnterminatedQuoteIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Csv.split("a,\"b"));
        assertEquals("unterminated quoted field", e.getMessage());
    }
}
