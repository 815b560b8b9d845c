namespace AgentSteps.Tests.GraphWorkflows;

/// <summary>A 50-step chain, for the size the graph issue names.</summary>
public abstract class FiftySteps
{
    [Step]
    public virtual int Step00(int x) => x > 0 ? Step01(x + 1) : Step02(x);

    [Step]
    public virtual int Step01(int x) => x > 1 ? Step02(x + 1) : Step03(x);

    [Step]
    public virtual int Step02(int x) => x > 2 ? Step03(x + 1) : Step04(x);

    [Step]
    public virtual int Step03(int x) => x > 3 ? Step04(x + 1) : Step05(x);

    [Step]
    public virtual int Step04(int x) => x > 4 ? Step05(x + 1) : Step06(x);

    [Step]
    public virtual int Step05(int x) => x > 5 ? Step06(x + 1) : Step07(x);

    [Step]
    public virtual int Step06(int x) => x > 6 ? Step07(x + 1) : Step08(x);

    [Step]
    public virtual int Step07(int x) => x > 7 ? Step08(x + 1) : Step09(x);

    [Step]
    public virtual int Step08(int x) => x > 8 ? Step09(x + 1) : Step10(x);

    [Step]
    public virtual int Step09(int x) => x > 9 ? Step10(x + 1) : Step11(x);

    [Step]
    public virtual int Step10(int x) => x > 10 ? Step11(x + 1) : Step12(x);

    [Step]
    public virtual int Step11(int x) => x > 11 ? Step12(x + 1) : Step13(x);

    [Step]
    public virtual int Step12(int x) => x > 12 ? Step13(x + 1) : Step14(x);

    [Step]
    public virtual int Step13(int x) => x > 13 ? Step14(x + 1) : Step15(x);

    [Step]
    public virtual int Step14(int x) => x > 14 ? Step15(x + 1) : Step16(x);

    [Step]
    public virtual int Step15(int x) => x > 15 ? Step16(x + 1) : Step17(x);

    [Step]
    public virtual int Step16(int x) => x > 16 ? Step17(x + 1) : Step18(x);

    [Step]
    public virtual int Step17(int x) => x > 17 ? Step18(x + 1) : Step19(x);

    [Step]
    public virtual int Step18(int x) => x > 18 ? Step19(x + 1) : Step20(x);

    [Step]
    public virtual int Step19(int x) => x > 19 ? Step20(x + 1) : Step21(x);

    [Step]
    public virtual int Step20(int x) => x > 20 ? Step21(x + 1) : Step22(x);

    [Step]
    public virtual int Step21(int x) => x > 21 ? Step22(x + 1) : Step23(x);

    [Step]
    public virtual int Step22(int x) => x > 22 ? Step23(x + 1) : Step24(x);

    [Step]
    public virtual int Step23(int x) => x > 23 ? Step24(x + 1) : Step25(x);

    [Step]
    public virtual int Step24(int x) => x > 24 ? Step25(x + 1) : Step26(x);

    [Step]
    public virtual int Step25(int x) => x > 25 ? Step26(x + 1) : Step27(x);

    [Step]
    public virtual int Step26(int x) => x > 26 ? Step27(x + 1) : Step28(x);

    [Step]
    public virtual int Step27(int x) => x > 27 ? Step28(x + 1) : Step29(x);

    [Step]
    public virtual int Step28(int x) => x > 28 ? Step29(x + 1) : Step30(x);

    [Step]
    public virtual int Step29(int x) => x > 29 ? Step30(x + 1) : Step31(x);

    [Step]
    public virtual int Step30(int x) => x > 30 ? Step31(x + 1) : Step32(x);

    [Step]
    public virtual int Step31(int x) => x > 31 ? Step32(x + 1) : Step33(x);

    [Step]
    public virtual int Step32(int x) => x > 32 ? Step33(x + 1) : Step34(x);

    [Step]
    public virtual int Step33(int x) => x > 33 ? Step34(x + 1) : Step35(x);

    [Step]
    public virtual int Step34(int x) => x > 34 ? Step35(x + 1) : Step36(x);

    [Step]
    public virtual int Step35(int x) => x > 35 ? Step36(x + 1) : Step37(x);

    [Step]
    public virtual int Step36(int x) => x > 36 ? Step37(x + 1) : Step38(x);

    [Step]
    public virtual int Step37(int x) => x > 37 ? Step38(x + 1) : Step39(x);

    [Step]
    public virtual int Step38(int x) => x > 38 ? Step39(x + 1) : Step40(x);

    [Step]
    public virtual int Step39(int x) => x > 39 ? Step40(x + 1) : Step41(x);

    [Step]
    public virtual int Step40(int x) => x > 40 ? Step41(x + 1) : Step42(x);

    [Step]
    public virtual int Step41(int x) => x > 41 ? Step42(x + 1) : Step43(x);

    [Step]
    public virtual int Step42(int x) => x > 42 ? Step43(x + 1) : Step44(x);

    [Step]
    public virtual int Step43(int x) => x > 43 ? Step44(x + 1) : Step45(x);

    [Step]
    public virtual int Step44(int x) => x > 44 ? Step45(x + 1) : Step46(x);

    [Step]
    public virtual int Step45(int x) => x > 45 ? Step46(x + 1) : Step47(x);

    [Step]
    public virtual int Step46(int x) => x > 46 ? Step47(x + 1) : Step48(x);

    [Step]
    public virtual int Step47(int x) => x > 47 ? Step48(x + 1) : Step49(x);

    [Step]
    public virtual int Step48(int x) => x > 48 ? Step49(x + 1) : Step00(x);

    [Step]
    public virtual int Step49(int x) => x > 49 ? x : Step01(x);

}
