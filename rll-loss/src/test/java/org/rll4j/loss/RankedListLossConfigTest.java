package org.rll4j.loss;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.function.UnaryOperator;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.shade.jackson.databind.ObjectMapper;

class RankedListLossConfigTest {

    @Test
    void paperDefaults() {
        RankedListLossConfig c = RankedListLossConfig.paper();
        assertEquals(1.2, c.alpha());
        assertEquals(0.4, c.margin());
        assertEquals(10, c.tn());
        assertEquals(0, c.tp());
        assertEquals(1, c.lambda());
        assertEquals(RankedListLossConfig.WeightGradient.CONSTANT, c.weightGradient());
    }

    @Test
    void presetsFollowTheDesignDoc() {
        assertEquals(RankedListLossConfig.paper(), RankedListLossConfig.simpler(0.4, 10));
        assertEquals(RankedListLossConfig.paper(), RankedListLossConfig.sop());
        RankedListLossConfig cub = RankedListLossConfig.cub();
        assertEquals(1.4, cub.alpha());
        assertEquals(0.2, cub.margin());
        assertEquals(10, cub.tn());
        assertEquals(12, RankedListLossConfig.inShop().tn());
        assertEquals(cub, RankedListLossConfig.cars196());
        RankedListLossConfig simpler = RankedListLossConfig.simpler(0.6, 5);
        assertEquals(1.3, simpler.alpha(), 1e-15);
        assertEquals(0, simpler.tp());
    }

    static Stream<Arguments> invalid() {
        return Stream.of(
                Arguments.of((UnaryOperator<RankedListLossConfig.Builder>) b -> b.alpha(0), "alpha must be finite and > 0, found 0.0"),
                Arguments.of((UnaryOperator<RankedListLossConfig.Builder>) b -> b.alpha(Double.NaN), "alpha must be finite and > 0, found NaN"),
                Arguments.of((UnaryOperator<RankedListLossConfig.Builder>) b -> b.alpha(Double.POSITIVE_INFINITY), "alpha must be finite and > 0, found Infinity"),
                Arguments.of((UnaryOperator<RankedListLossConfig.Builder>) b -> b.margin(1.5), "margin must be in [0, alpha] = [0, 1.2], found 1.5"),
                Arguments.of((UnaryOperator<RankedListLossConfig.Builder>) b -> b.margin(-0.1), "margin must be in [0, alpha] = [0, 1.2], found -0.1"),
                Arguments.of((UnaryOperator<RankedListLossConfig.Builder>) b -> b.tn(Double.NaN), "tn (negative-weight temperature T_n) must be finite, found NaN"),
                Arguments.of((UnaryOperator<RankedListLossConfig.Builder>) b -> b.tp(Double.NEGATIVE_INFINITY), "tp (positive-weight temperature T_p) must be finite, found -Infinity"),
                Arguments.of((UnaryOperator<RankedListLossConfig.Builder>) b -> b.lambda(-1), "lambda must be finite and >= 0, found -1.0"),
                Arguments.of((UnaryOperator<RankedListLossConfig.Builder>) b -> b.weightGradient(null), "weightGradient must be one of CONSTANT, FLOW, found null"));
    }

    @ParameterizedTest
    @MethodSource("invalid")
    void invalidValuesNameFieldRuleAndValue(UnaryOperator<RankedListLossConfig.Builder> change, String message) {
        RankedListLossConfig.Builder b = change.apply(RankedListLossConfig.builder());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, b::build);
        assertEquals(message, e.getMessage());
    }

    @Test
    void jsonRoundTripWithDl4jsShadedJackson() throws Exception {
        RankedListLossConfig c = RankedListLossConfig.builder().alpha(1.1).margin(0.3).tn(-2).tp(4).lambda(0.25)
                .weightGradient(RankedListLossConfig.WeightGradient.FLOW).build();
        ObjectMapper mapper = new ObjectMapper();
        assertEquals(c, mapper.readValue(mapper.writeValueAsString(c), RankedListLossConfig.class));
    }

    @Test
    void jsonDeserialisationValidatesToo() {
        ObjectMapper mapper = new ObjectMapper();
        String json = "{\"alpha\":1.2,\"margin\":2.0,\"tn\":10,\"tp\":0,\"lambda\":1,\"weightGradient\":\"CONSTANT\"}";
        Exception e = assertThrows(Exception.class, () -> mapper.readValue(json, RankedListLossConfig.class));
        Throwable root = e;
        while (root.getCause() != null) {
            root = root.getCause();
        }
        assertEquals("margin must be in [0, alpha] = [0, 1.2], found 2.0", root.getMessage());
    }
}
