package org.dpmammo.experiment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class ExperimentConfigTest {
    static String error(String json) {
        return assertThrows(IllegalArgumentException.class, () -> ExperimentConfig.parse(json)).getMessage();
    }

    @Test
    void aConfigFileOverridesItsPresetKeyByKey() {
        ExperimentConfig c = ExperimentConfig.parse("{\"preset\": \"cpu\", \"classifier\": {\"epochs\": 5}, \"grid\": {\"real\": [2, \"inf\"]}, \"seeds\": [1]}");
        ExperimentConfig cpu = ExperimentConfig.preset("cpu");
        assertEquals(5, c.classifier().epochs());
        assertEquals(cpu.classifier().lr(), c.classifier().lr());
        assertEquals(List.of(2.0, Double.POSITIVE_INFINITY), c.grid().get(Condition.REAL));
        assertEquals(1, c.grid().size()); // the grid is replaced, not merged
        assertEquals(List.of(1L), c.seeds());
        assertEquals(cpu.gan(), c.gan());
    }

    @Test
    void everyPresetSurvivesItsOwnJson() {
        for (String p : ExperimentConfig.PRESETS) {
            ExperimentConfig c = ExperimentConfig.preset(p);
            assertEquals(c.toJson(), ExperimentConfig.parse(c.toJson().toString()).toJson(), p);
        }
    }

    @Test
    void aDuplicateKeyIsAnErrorNamingIt() {
        // Jackson's default is last-wins, silently.
        String m = error("{\"preset\": \"demo\", \"delta\": 1e-5, \"delta\": 1e-3}");
        assertTrue(m.contains("Duplicate field 'delta'"), m);
        String nested = error("{\"preset\": \"demo\", \"classifier\": {\"epochs\": 2, \"epochs\": 3}}");
        assertTrue(nested.contains("Duplicate field 'epochs'"), nested);
    }

    @Test
    void unknownKeysAreNamed() {
        assertTrue(error("{\"epochs\": 3}").contains("unknown key 'epochs'"));
        assertTrue(error("{\"classifier\": {\"learning_rate\": 0.1}}").contains("unknown key 'classifier.learning_rate'"));
        assertTrue(error("{\"grid\": {\"real_only\": [1]}}").contains("'grid.real_only'"));
        assertTrue(error("{\"preset\": \"gpu\"}").contains("unknown preset 'gpu'"));
    }

    @Test
    void impossibleEpsilonOrDeltaIsRefusedWithItsKey() {
        assertTrue(error("{\"grid\": {\"real\": [0]}}").contains("'grid.real': ε must be positive"));
        assertTrue(error("{\"grid\": {\"real\": [-1]}}").contains("'grid.real'"));
        assertTrue(error("{\"grid\": {\"synth\": [\"lots\"]}}").contains("'grid.synth': ε must be a number or \"inf\""));
        assertTrue(error("{\"grid\": {\"real\": [1, 1]}}").contains("listed twice"));
        // ε = 1e300 used to run and land in results.csv as 9223372036854775807.
        String huge = error("{\"grid\": {\"real\": [1e300]}}");
        assertTrue(huge.contains("'grid.real': ε = 1.0E300 is above 700"), huge);
        assertTrue(error("{\"gan\": {\"dp_epsilon\": 701}}").contains("'gan.dp_epsilon': ε = 701.0 is above 700"));
        assertEquals(List.of(700.0), ExperimentConfig.parse("{\"preset\": \"demo\", \"grid\": {\"real\": [700]}}").grid().get(Condition.REAL));
        assertTrue(error("{\"delta\": 1.5}").contains("'delta': δ must be in (0, 1)"));
        assertTrue(error("{\"delta\": 0}").contains("'delta'"));
        assertTrue(error("{\"max_grad_norm\": -1}").contains("'max_grad_norm'"));
        assertTrue(error("{\"classifier\": {\"epochs\": 2.5}}").contains("'classifier.epochs' must be a positive whole number"));
        assertTrue(error("{\"seeds\": []}").contains("'seeds'"));
        assertTrue(error("not json").contains("not valid JSON"));
        assertTrue(error("{\"gan\": {\"dp_epsilon\": 0}}").contains("'gan.dp_epsilon'"));
        assertTrue(error("{\"gan\": {\"dp_epsilon\": \"inf\"}}").contains("'gan.dp_epsilon'"));
        assertEquals(10.0, ExperimentConfig.parse("{\"gan\": {\"dp_epsilon\": 10}}").gan().dpEpsilon());
        assertEquals(null, ExperimentConfig.preset("paper").gan().dpEpsilon());
        // DP-MERF is a DP generator: it is refused without its ε.
        assertTrue(error("{\"gan\": {\"model\": \"merf\"}}").contains("'gan.dp_epsilon'"));
        assertTrue(error("{\"gan\": {\"model\": \"vae\"}}").contains("'gan.model'"));
        assertEquals("merf", ExperimentConfig.parse("{\"gan\": {\"model\": \"merf\", \"dp_epsilon\": 6}}").gan().model());
    }

    @Test
    void theAccountantIsOneNameOrAListOfThem() {
        assertEquals(List.of("rdp"), ExperimentConfig.preset("paper").accountants());
        assertEquals(List.of("prv"), ExperimentConfig.parse("{\"preset\": \"demo\", \"accountant\": \"prv\"}").accountants());
        // the Swin presets take PRV too, now that the Swin trainer calibrates with either
        assertEquals(List.of("prv"), ExperimentConfig.parse("{\"preset\": \"cpu\", \"accountant\": \"prv\"}").accountants());
        ExperimentConfig both = ExperimentConfig.parse("{\"preset\": \"cpu\", \"accountant\": [\"rdp\", \"prv\"]}");
        assertEquals(List.of("rdp", "prv"), both.accountants());
        assertEquals(both.toJson(), ExperimentConfig.parse(both.toJson().toString()).toJson());
        // one name is written back as a string, as configs were before lists, so older experiment folders still resume
        assertTrue(ExperimentConfig.preset("demo").toJson().get("accountant").isTextual());
        assertEquals(List.of("prv", "rdp"), ExperimentConfig.preset("demo").withAccountants(List.of("prv", "rdp")).accountants());
    }

    @Test
    void aBadAccountantIsRefusedWithItsKey() {
        assertTrue(error("{\"accountant\": \"moments\"}").contains("'accountant': expected rdp or prv, got \"moments\""));
        assertTrue(error("{\"accountant\": [\"rdp\", \"gdp\"]}").contains("'accountant': expected rdp or prv, got \"gdp\""));
        assertTrue(error("{\"accountant\": [\"prv\", \"prv\"]}").contains("'accountant': \"prv\" is listed twice"));
        assertTrue(error("{\"accountant\": []}").contains("'accountant' must be rdp or prv or a non-empty list"));
        assertTrue(error("{\"accountant\": 3}").contains("'accountant'"));
        assertTrue(error("{\"accountant\": [1]}").contains("'accountant': expected rdp or prv, got 1"));
        assertThrows(IllegalArgumentException.class, () -> ExperimentConfig.preset("demo").withAccountants(List.of("rdp", "")));
    }

    @Test
    void theCpuPresetTrainsOnRadiomicsFeaturesAndAMisspeltModelIsRefused() {
        assertEquals("radiomics", ExperimentConfig.preset("cpu").classifier().model());
        assertEquals("scatter", ExperimentConfig.parse("{\"preset\": \"demo\", \"classifier\": {\"model\": \"scatter\"}}").classifier().model());
        String m = error("{\"preset\": \"cpu\", \"classifier\": {\"model\": \"scater\"}}");
        assertTrue(m.contains("'classifier.model'") && m.contains("scatter"), m);
        String k = error("{\"preset\": \"cpu\", \"classifier\": {\"backbone\": \"scatter\"}}");
        assertTrue(k.contains("unknown key 'classifier.backbone'"), k);
        assertTrue(ExperimentConfig.preset("cpu").classifier().linearHeads());
        assertEquals("mlp", ExperimentConfig.preset("paper").classifier().head());
        String h = error("{\"preset\": \"cpu\", \"classifier\": {\"head\": \"deep\"}}");
        assertTrue(h.contains("'classifier.head'") && h.contains("mlp or linear"), h);
    }

    @Test
    void fineTuningAndTheCnnActivationAreChosenByNameAndSurviveTheJson() {
        // the study's head-only fine-tuning and the CNN's LeakyReLU unless a config says otherwise
        for (String p : ExperimentConfig.PRESETS) {
            assertEquals("head", ExperimentConfig.preset(p).classifier().finetune(), p);
            assertEquals("leaky_relu", ExperimentConfig.preset(p).classifier().activation(), p);
        }
        ExperimentConfig c = ExperimentConfig.parse("{\"preset\": \"demo\", \"classifier\": {\"finetune\": \"full\", \"activation\": \"tanh\"}}");
        assertTrue(c.classifier().finetuneFull());
        assertEquals("tanh", c.classifier().activation());
        assertEquals(c.toJson(), ExperimentConfig.parse(c.toJson().toString()).toJson());
        assertEquals("full", c.toJson().get("classifier").get("finetune").asText());
        assertTrue(ExperimentConfig.parse("{\"preset\": \"cpu\", \"classifier\": {\"finetune\": \"full\"}}").classifier().finetuneFull());
        // a config.json written before the keys existed reads as head-only fine-tuning and LeakyReLU
        com.fasterxml.jackson.databind.node.ObjectNode old = ExperimentConfig.preset("demo").toJson();
        ((com.fasterxml.jackson.databind.node.ObjectNode) old.get("classifier")).remove(List.of("finetune", "activation"));
        assertEquals(ExperimentConfig.preset("demo"), ExperimentConfig.fromJson(old));

        String f = error("{\"preset\": \"cpu\", \"classifier\": {\"finetune\": \"all\"}}");
        assertTrue(f.contains("'classifier.finetune': expected head or full, got 'all'") && !f.contains("\n"), f);
        assertTrue(error("{\"preset\": \"demo\", \"classifier\": {\"finetune\": true}}").contains("'classifier.finetune' must be a string"));
        String a = error("{\"preset\": \"demo\", \"classifier\": {\"activation\": \"relu\"}}");
        assertTrue(a.contains("'classifier.activation': expected leaky_relu or tanh, got 'relu'"), a);
        // the Swin and scattering models have their own activations: choosing one for them would be silently ignored
        String s = error("{\"preset\": \"cpu\", \"classifier\": {\"model\": \"scatter\", \"activation\": \"tanh\"}}");
        assertTrue(s.contains("'classifier.activation'") && s.contains("cnn") && s.contains("'scatter'"), s);
        String p = error("{\"preset\": \"paper\", \"classifier\": {\"activation\": \"tanh\"}}");
        assertTrue(p.contains("'classifier.activation'") && p.contains("'paper'"), p);
        assertEquals("leaky_relu", ExperimentConfig.parse("{\"preset\": \"cpu\", \"classifier\": {\"activation\": \"leaky_relu\"}}").classifier().activation());
    }

    @Test
    void augmentationMultiplicityIsOneToFourOnFrozenBackbonesOnly() {
        assertEquals(1, ExperimentConfig.preset("cpu").classifier().augMultiplicity());
        ExperimentConfig four = ExperimentConfig.parse("{\"preset\": \"cpu\", \"classifier\": {\"aug_multiplicity\": 4}}");
        assertEquals(4, four.classifier().augMultiplicity());
        assertEquals(4, ExperimentConfig.parse(four.toJson().toString()).classifier().augMultiplicity());
        String big = error("{\"preset\": \"cpu\", \"classifier\": {\"aug_multiplicity\": 5}}");
        assertTrue(big.contains("'classifier.aug_multiplicity'") && big.contains("at most 4"), big);
        String cnn = error("{\"preset\": \"demo\", \"classifier\": {\"aug_multiplicity\": 2}}");
        assertTrue(cnn.contains("'classifier.aug_multiplicity'") && cnn.contains("cnn"), cnn);
    }
}
